package study

// exitUsage is the exit code of a usage error, as for every crudbench
// command.
const exitUsage = 3
