package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// LookupFunc returns the object recorded for a created resource or a
// looked-up data source (the decoded JSON the API returned), or false when
// it is not known yet.
type LookupFunc func(Address) (map[string]any, bool)

// Render produces the final request body and account id for a resource
// once its dependencies exist. A string that is exactly one ${...}
// reference becomes the referenced value with its JSON type; references
// inside longer strings are inserted as text. Decimal strings stay strings.
func (r *Resource) Render(lookup LookupFunc) (body map[string]any, accountID string, err error) {
	if r.Body != nil {
		v, err := renderValue(r.Body, lookup)
		if err != nil {
			return nil, "", fmt.Errorf("render %s: %w", r.Addr, err)
		}
		body = v.(map[string]any)
	}
	if r.AccountRef != nil {
		v, err := r.AccountRef.Render(lookup)
		if err != nil {
			return nil, "", fmt.Errorf("render %s account_id: %w", r.Addr, err)
		}
		s, ok := v.(string)
		if !ok {
			return nil, "", fmt.Errorf("render %s: account_id is %s, not a string", r.Addr, valueKind(v))
		}
		accountID = s
	}
	return body, accountID, nil
}

// Render evaluates the output's value.
func (o Output) Render(lookup LookupFunc) (any, error) {
	if o.Value == nil {
		return nil, nil
	}
	v, err := o.Value.Render(lookup)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", o.Name, err)
	}
	return v, nil
}

// Render evaluates a template whose variables are already substituted,
// looking referenced objects up.
func (t *Template) Render(lookup LookupFunc) (any, error) {
	if t.isLit {
		return t.lit, nil
	}
	if len(t.parts) == 1 && t.parts[0].e != nil {
		return refValue(t.parts[0].e, lookup)
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.e == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := refValue(p.e, lookup)
		if err != nil {
			return nil, err
		}
		s, ok := interpolate(v)
		if !ok {
			return nil, fmt.Errorf("cannot insert %s (%s) into a string", Reference{Addr: p.e.addr, Path: p.e.path}, valueKindAt(v, p.e.path))
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func refValue(e *expr, lookup LookupFunc) (any, error) {
	ref := Reference{Addr: e.addr, Path: e.path}
	if e.kind != exprRef || e.keyExpr != nil {
		return nil, fmt.Errorf("unresolved expression in %s", ref)
	}
	obj, ok := lookup(e.addr)
	if !ok {
		return nil, fmt.Errorf("%s: %s has not been created yet", ref, e.addr)
	}
	var cur any = obj
	for i, p := range e.path {
		switch x := cur.(type) {
		case map[string]any:
			v, found := x[p]
			if !found {
				return nil, fmt.Errorf("%s: the object recorded for %s has no field %s", ref, e.addr, formatPath(e.path[:i+1]))
			}
			cur = v
		case []any:
			idx, err := strconv.Atoi(p)
			if err != nil || idx < 0 || idx >= len(x) {
				return nil, fmt.Errorf("%s: index %s out of range (length %d)", ref, p, len(x))
			}
			cur = x[idx]
		default:
			return nil, fmt.Errorf("%s: %s is %s, not an object", ref, formatPath(e.path[:i]), valueKindAt(cur, e.path[:i]))
		}
	}
	if f, ok := cur.(float64); ok { // a lookup that decoded without UseNumber
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64)), nil
	}
	return cur, nil
}

func renderValue(v any, lookup LookupFunc) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := renderValue(e, lookup)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := renderValue(e, lookup)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = r
		}
		return out, nil
	case string:
		if !strings.Contains(x, "${") {
			return x, nil
		}
		t, err := ParseTemplate(x, Pos{})
		if err != nil {
			return nil, err
		}
		return t.Render(lookup)
	}
	return v, nil
}

// SpecHash is a stable hash of what the manifest asks for: the kind, the
// unresolved body (references as written) and the account reference,
// without the fields listed in lifecycle.ignore_changes. A changed hash
// between runs means the manifest changed.
func (r *Resource) SpecHash() string {
	body := r.Body
	if len(r.ignorePaths) > 0 && body != nil {
		body = withoutPaths(body, r.ignorePaths)
	}
	spec := map[string]any{"kind": string(r.Addr.Kind), "body": body}
	if r.AccountRef != nil {
		spec["account_id"] = r.AccountRef.Raw
	}
	if r.Lookup != nil {
		if r.Lookup.ID != nil {
			spec["id"] = r.Lookup.ID.Raw
		}
		if r.Lookup.Email != nil {
			spec["email"] = r.Lookup.Email.Raw
		}
	}
	data, err := json.Marshal(spec)
	if err != nil {
		data = []byte(fmt.Sprintf("%v", spec))
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// withoutPaths copies m without the given paths (copying only the maps on
// the way, since Body subtrees may be shared).
func withoutPaths(m map[string]any, paths [][]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, p := range paths {
		cur := out
		for i, seg := range p {
			if i == len(p)-1 {
				delete(cur, seg)
				break
			}
			next, ok := cur[seg].(map[string]any)
			if !ok {
				break
			}
			cp := make(map[string]any, len(next))
			for k, v := range next {
				cp[k] = v
			}
			cur[seg] = cp
			cur = cp
		}
	}
	return out
}
