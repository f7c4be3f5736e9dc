// Package schemas embeds the JSON Schemas that describe brokerctl's file
// formats, so the binary can validate manifests offline and print the schema
// for editors (brokerctl schema).
//
// The files are generated from the Broker API OpenAPI spec by
// gen/generate.py; regenerate them rather than editing by hand.
package schemas

import _ "embed"

// Manifest is the JSON Schema (draft 2020-12) of a brokerctl manifest.
//
//go:embed manifest.schema.json
var Manifest []byte

// Fields describes, per resource kind, the fields of the object the API
// returns on create (used to type-check references such as
// ${accounts.alice.status}), the statuses wait_for accepts, the request and
// response schema names, and whether the kind lives under an account.
//
//go:embed fields.json
var Fields []byte

//go:generate python3 gen/generate.py
