package ent

//go:generate go tool ent generate --target ./entgen ./schema
