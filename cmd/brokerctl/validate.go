package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/brokerctl/brokerctl/pkg/manifest"
)

func init() { register(newValidateCmd) }

func newValidateCmd(g *Globals) *cobra.Command {
	o := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "validate -f FILE|DIR [-f ...]",
		Short: "Check manifests offline: schema, references, for_each data and the dependency graph",
		Long: `validate loads manifests exactly as apply would, without contacting the
Broker API: it checks every field against the JSON Schema (brokerctl schema),
resolves variables, env, for_each (including CSV and JSON files) and count,
checks every reference and looks for dependency cycles. It prints every
problem at once as file:line:col: path: message.

Exit status: 0 valid, 2 invalid.`,
		Example: `  brokerctl validate -f examples/manifests/quickstart
  brokerctl validate -f manifests/ --var deposit=250.00`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadManifest(g, o)
			if err != nil {
				return err
			}
			return printValid(g, o.JSON, cfg)
		},
	}
	o.addManifestFlags(cmd)
	return cmd
}

// printValid reports a valid configuration.
func printValid(g *Globals, asJSON bool, cfg *manifest.Config) error {
	resources, data := 0, 0
	for _, r := range cfg.Resources {
		if r.IsData() {
			data++
		} else {
			resources++
		}
	}
	if asJSON {
		return json.NewEncoder(g.Stdout).Encode(map[string]any{
			"valid": true, "resources": resources, "data_sources": data,
			"outputs": len(cfg.Outputs), "files": cfg.Files,
		})
	}
	noun := "resources"
	if resources == 1 {
		noun = "resource"
	}
	line := fmt.Sprintf("%d %s valid", resources, noun)
	if data > 0 {
		line += fmt.Sprintf(" (%d data source", data)
		if data > 1 {
			line += "s"
		}
		line += ")"
	}
	_, err := fmt.Fprintln(g.Stdout, line)
	return err
}
