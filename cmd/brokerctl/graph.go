package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register(newGraphCmd) }

func newGraphCmd(g *Globals) *cobra.Command {
	o := &applyOptions{}
	var output, format string
	cmd := &cobra.Command{
		Use:   "graph -f FILE|DIR [-o dot|mermaid|json]",
		Short: "Print the dependency graph of manifests",
		Long: `graph prints the resolved dependency graph: one vertex per resource instance
(accounts.customer["jane@example.com"]) and an edge from each resource to
what it needs first. Render DOT with Graphviz (dot -Tsvg), paste Mermaid
into Markdown, or read the JSON ({"vertices": [...], "edges": [...]}).
-o/--output picks the format, as in brokerctl output and kubectl; --format
is an alias.`,
		Example: `  brokerctl graph -f examples/manifests/seed-flow | dot -Tsvg > graph.svg
  brokerctl graph -f examples/manifests/quickstart -o mermaid`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			flag := "--output"
			if f := cmd.Flags(); f.Changed("format") {
				if f.Changed("output") && output != format {
					return &UsageError{Err: fmt.Errorf("--output %q and --format %q disagree: --format is an alias of --output, give one", output, format)}
				}
				output, flag = format, "--format"
			}
			format := output
			switch format {
			case "dot", "mermaid", "json":
			default:
				return &UsageError{Err: fmt.Errorf("%s %q: want dot, mermaid or json", flag, format)}
			}
			cfg, err := loadManifest(g, o)
			if err != nil {
				return err
			}
			switch format {
			case "mermaid":
				_, err = fmt.Fprint(g.Stdout, cfg.Graph.Mermaid())
			case "json":
				var data []byte
				data, err = json.MarshalIndent(cfg.Graph, "", "  ")
				if err == nil {
					_, err = fmt.Fprintln(g.Stdout, string(data))
				}
			default:
				_, err = fmt.Fprint(g.Stdout, cfg.Graph.DOT())
			}
			return err
		},
	}
	o.addManifestFlags(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "dot", "output format: dot, mermaid or json")
	cmd.Flags().StringVar(&format, "format", "dot", "alias of --output")
	return cmd
}
