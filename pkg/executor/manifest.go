package executor

import (
	"fmt"

	"github.com/brokerctl/brokerctl/pkg/manifest"
)

// FromManifest turns a loaded manifest into executor nodes and outputs.
func FromManifest(cfg *manifest.Config) ([]*Node, []OutputSpec, error) {
	if cfg == nil {
		return nil, nil, fmt.Errorf("no manifest")
	}
	var nodes []*Node
	for _, r := range cfg.Resources {
		nodes = append(nodes, nodeOf(r))
	}
	var outs []OutputSpec
	for _, o := range cfg.Outputs {
		o := o
		outs = append(outs, OutputSpec{Name: o.Name, Sensitive: o.Sensitive, Render: func(lookup LookupFunc) (any, error) {
			return o.Render(manifestLookup(lookup))
		}})
	}
	return nodes, outs, nil
}

func nodeOf(r *manifest.Resource) *Node {
	n := &Node{
		Addr:            r.Addr.String(),
		Kind:            string(r.Addr.Kind),
		Data:            r.IsData(),
		Hash:            r.SpecHash(),
		Protect:         r.Lifecycle.Protect,
		RetainOnDestroy: r.Lifecycle.RetainOnDestroy,
		IgnoreChanges:   r.Lifecycle.IgnoreChanges,
		ImportID:        r.Lifecycle.ImportID,
	}
	for _, d := range r.DependsOn {
		n.Deps = append(n.Deps, d.String())
	}
	if r.Wait != nil {
		n.WaitFor, n.WaitTimeout = r.Wait.Statuses, r.Wait.Timeout
	}
	for _, nd := range r.Needs {
		n.Needs = append(n.Needs, Need{Addr: nd.Addr.String(), Statuses: nd.Statuses})
	}
	if r.IsData() {
		n.Render = func(lookup LookupFunc) (Object, string, error) {
			return renderLookup(r, lookup)
		}
		return n
	}
	n.Render = func(lookup LookupFunc) (Object, string, error) {
		body, accountID, err := r.Render(manifestLookup(lookup))
		if err != nil {
			return nil, "", err
		}
		return body, accountID, nil
	}
	return n
}

// renderLookup resolves a data source's lookup into a query: {"id": ...} or
// {"email": ...}, plus {"account_id": ...} for account-scoped kinds.
func renderLookup(r *manifest.Resource, lookup LookupFunc) (Object, string, error) {
	q := Object{}
	ml := manifestLookup(lookup)
	account := ""
	if r.AccountRef != nil {
		v, err := r.AccountRef.Render(ml)
		if err != nil {
			return nil, "", err
		}
		account = fmt.Sprint(v)
		q["account_id"] = account
	}
	if r.Lookup != nil && r.Lookup.ID != nil {
		v, err := r.Lookup.ID.Render(ml)
		if err != nil {
			return nil, "", err
		}
		q["id"] = fmt.Sprint(v)
	}
	if r.Lookup != nil && r.Lookup.Email != nil {
		v, err := r.Lookup.Email.Render(ml)
		if err != nil {
			return nil, "", err
		}
		q["email"] = fmt.Sprint(v)
	}
	return q, account, nil
}

func manifestLookup(lookup LookupFunc) func(manifest.Address) (map[string]any, bool) {
	return func(a manifest.Address) (map[string]any, bool) {
		return lookup(a.String())
	}
}
