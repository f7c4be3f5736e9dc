// Package redact masks secrets and personal data (tax ids, dates of birth,
// bank account numbers, API secrets) before anything reaches a log, a plan,
// an error message or the state store.
//
// It is a leaf package: it knows JSON key names, not the Broker API client,
// manifests or state. Every package that prints or persists request or
// response bodies passes them through here first.
package redact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// Mask is what a sensitive value is replaced with.
const Mask = "***"

// sensitiveKeys are JSON keys whose values are personal data or secrets
// wherever they appear.
var sensitiveKeys = map[string]bool{
	"tax_id":                     true,
	"ssn":                        true,
	"date_of_birth":              true,
	"bank_account_number":        true,
	"transmitter_account_number": true,
	"processor_token":            true,
	"secret":                     true,
	"secret_key":                 true,
	"api_secret":                 true,
	"key_secret":                 true,
	"password":                   true,
	"authorization":              true,
	"content":                    true, // base64 identity documents
	"content_data":               true,
}

// keepLast4 are sensitive keys whose last four characters may be shown, as
// banks do, so a user can tell two accounts apart.
var keepLast4 = map[string]bool{
	"bank_account_number":        true,
	"transmitter_account_number": true,
	"account_number":             true,
}

// IsSensitiveKey reports whether values under the JSON key are always
// sensitive. account_number is sensitive only inside a bank object (one that
// has bank_code or bank_code_type); see Value.
func IsSensitiveKey(key string) bool {
	return sensitiveKeys[strings.ToLower(key)]
}

// isBankObject reports whether account_number in m is a bank account number
// rather than an Alpaca brokerage account number.
func isBankObject(m map[string]any) bool {
	_, code := m["bank_code"]
	_, typ := m["bank_code_type"]
	return code || typ
}

// String masks a single sensitive value, keeping the last four characters of
// long bank numbers when keepLast4 is true.
func String(s string, last4 bool) string {
	if s == "" {
		return ""
	}
	if last4 && len(s) > 6 {
		return Mask + s[len(s)-4:]
	}
	return Mask
}

// Value returns a deep copy of v (a decoded JSON value: maps, slices,
// strings, numbers) with every sensitive value masked.
func Value(v any) any {
	return walk(v, func(key string, val any) any {
		s, ok := val.(string)
		if !ok {
			if val == nil {
				return nil
			}
			return Mask
		}
		return String(s, keepLast4[strings.ToLower(key)])
	})
}

// HashValues returns a deep copy of v with every sensitive value replaced by
// a salted hash, so state can detect a change without holding the data.
func HashValues(salt []byte, v any) any {
	return walk(v, func(_ string, val any) any {
		if val == nil {
			return nil
		}
		var s string
		switch t := val.(type) {
		case string:
			if t == "" {
				return ""
			}
			s = t
		default:
			b, _ := json.Marshal(t)
			s = string(b)
		}
		return Hash(salt, s)
	})
}

func walk(v any, replace func(key string, val any) any) any {
	switch t := v.(type) {
	case map[string]any:
		bank := isBankObject(t)
		out := make(map[string]any, len(t))
		for k, val := range t {
			lk := strings.ToLower(k)
			if sensitiveKeys[lk] || (bank && lk == "account_number") {
				out[k] = replace(k, val)
				continue
			}
			out[k] = walk(val, replace)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = walk(val, replace)
		}
		return out
	default:
		return v
	}
}

// JSON masks sensitive values in a JSON document. Input that is not valid
// JSON is replaced entirely, since it cannot be inspected.
func JSON(raw []byte) []byte {
	return transformJSON(raw, Value)
}

// HashJSON replaces sensitive values in a JSON document with salted hashes.
func HashJSON(salt []byte, raw []byte) []byte {
	return transformJSON(raw, func(v any) any { return HashValues(salt, v) })
}

func transformJSON(raw []byte, f func(any) any) []byte {
	if len(raw) == 0 {
		return raw
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []byte(`"` + Mask + ` (unparseable body withheld)"`)
	}
	out, err := json.Marshal(f(v))
	if err != nil {
		return []byte(`"` + Mask + `"`)
	}
	return out
}

// Hash returns a salted SHA-256 digest of value ("hmac-sha256:" and 32 hex
// characters). Equal values under one salt give equal hashes.
func Hash(salt []byte, value string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(value))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))[:32]
}

// Scrub removes every occurrence of the given secrets from text. Empty and
// very short secrets are ignored so that ordinary words are not mangled.
func Scrub(text string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) < 4 {
			continue
		}
		text = strings.ReplaceAll(text, s, Mask)
	}
	return text
}
