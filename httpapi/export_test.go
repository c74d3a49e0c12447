package httpapi

// Exported for the fuzz tests of package httpapi_test.
var (
	DecodeJSON = decodeJSON
	ParseID    = parseID
	ParseIDs   = parseIDs
)
