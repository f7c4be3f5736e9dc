package main

import (
	"github.com/spf13/cobra"

	"github.com/brokerctl/brokerctl/schemas"
)

func init() { register(newSchemaCmd) }

func newSchemaCmd(g *Globals) *cobra.Command {
	var fields bool
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of manifests (for editors and CI)",
		Long: `schema prints the JSON Schema (draft 2020-12) that brokerctl validates
manifests against. Save it and point your editor at it, for example with the
YAML language server modeline at the top of a manifest:

  # yaml-language-server: $schema=./manifest.schema.json

With --fields it prints instead, per kind, the fields of the object the API
returns (what ${accounts.alice.FIELD} may name) and the statuses wait_for
accepts.`,
		Example: `  brokerctl schema > manifest.schema.json
  brokerctl schema --fields | jq '.kinds.transfers.statuses'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := schemas.Manifest
			if fields {
				out = schemas.Fields
			}
			_, err := g.Stdout.Write(out)
			return err
		},
	}
	cmd.Flags().BoolVar(&fields, "fields", false, "print the per-kind response fields and statuses instead")
	return cmd
}
