package domain

// Code says why an operation was refused, in the words clients match on: the error code of every answer
// (api/openapi.yaml's Error). Each code is defined once, by the package that refuses with it (contract for
// the workflows' refusals, library for the operations', the HTTP kit for the transport's); the HTTP kit
// maps every code to its status and messages in one table.
type Code string
