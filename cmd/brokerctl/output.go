package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/brokerctl/brokerctl/pkg/executor"
	"github.com/brokerctl/brokerctl/pkg/state"
)

func init() { register(newOutputCmd) }

func newOutputCmd(g *Globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "output [NAME]",
		Short: "Print the outputs saved by the last apply",
		Long: `output prints the outputs the last apply saved in state, without calling
the API. Formats: text (name = value; sensitive values hidden unless NAME
is given), json (an object of {value, sensitive}, or the bare value of
NAME), env (export NAME='value' lines for eval) and dotenv (NAME='value'
lines for a .env file, safe to source with sh and read by docker compose).
In env and dotenv the names are upper-cased (other characters than A-Z,
0-9 and _ become _); outputs that would become the same variable are refused
(exit 2), naming them.`,
		Example: `  brokerctl output
  brokerctl output -o json
  eval "$(brokerctl output -o env)"
  brokerctl output alice_account_id`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			return runOutput(cmd.Context(), g, format, name)
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "text", "format: text, json, env or dotenv")
	return cmd
}

func runOutput(ctx context.Context, g *Globals, format, name string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	switch format {
	case "text", "json", "env", "dotenv":
	default:
		return &UsageError{Err: fmt.Errorf("-o %q: want text, json, env or dotenv", format)}
	}
	outs, err := readSavedOutputs(ctx, g)
	if err != nil {
		return err
	}
	if name != "" {
		v, ok := outs[name]
		if !ok {
			return &ExitError{Code: exitFailure, Err: fmt.Errorf("no output named %q (have: %s)", name, strings.Join(sortedNames(outs), ", "))}
		}
		switch format {
		case "json":
			return writeJSON(g.Stdout, v.Value)
		case "text":
			fmt.Fprintln(g.Stdout, formatValue(v.Value))
			return nil
		}
		outs = map[string]executor.OutputValue{name: v}
	}
	if format == "env" || format == "dotenv" {
		if err := checkEnvNames(outs); err != nil {
			return err
		}
	}
	switch format {
	case "json":
		// "sensitive" is always printed, false included (as documented).
		type jsonOutput struct {
			Value     any  `json:"value"`
			Sensitive bool `json:"sensitive"`
		}
		all := make(map[string]jsonOutput, len(outs))
		for k, v := range outs {
			all[k] = jsonOutput{Value: v.Value, Sensitive: v.Sensitive}
		}
		return writeJSON(g.Stdout, all)
	case "env":
		for _, k := range sortedNames(outs) {
			fmt.Fprintf(g.Stdout, "export %s=%s\n", envName(k), shellQuote(formatValue(outs[k].Value)))
		}
		return nil
	case "dotenv":
		return writeDotenv(g.Stdout, g.Stderr, outs)
	}
	if len(outs) == 0 {
		fmt.Fprintln(g.Stderr, "No outputs. Run apply on a manifest that declares outputs.")
		return nil
	}
	printOutputsText(g.Stdout, outs, false)
	return nil
}

func readSavedOutputs(ctx context.Context, g *Globals) (map[string]executor.OutputValue, error) {
	path, err := stateLocation(g)
	if err != nil {
		return nil, err
	}
	if !state.IsPostgres(path) {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return map[string]executor.OutputValue{}, nil
		}
	}
	be, err := state.Open(ctx, path)
	if err != nil {
		return nil, err // state.Open names the file, or the server with its password removed
	}
	defer be.Close()
	r, err := be.Open(ctx, g.Workspace)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return executor.ReadOutputs(ctx, r)
}

func sortedNames(m map[string]executor.OutputValue) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// formatValue prints strings bare and everything else as compact JSON.
func formatValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

var nonEnv = regexp.MustCompile(`[^A-Za-z0-9_]`)

func envName(k string) string {
	n := strings.ToUpper(nonEnv.ReplaceAllString(k, "_"))
	if n != "" && n[0] >= '0' && n[0] <= '9' {
		n = "_" + n
	}
	return n
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// checkEnvNames refuses (exit 2) outputs whose names become the same
// variable, which would silently overwrite each other when sourced.
func checkEnvNames(outs map[string]executor.OutputValue) error {
	by := map[string][]string{}
	for _, k := range sortedNames(outs) {
		by[envName(k)] = append(by[envName(k)], k)
	}
	var clashes []string
	for env, names := range by {
		if len(names) < 2 {
			continue
		}
		list := strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
		clashes = append(clashes, fmt.Sprintf("outputs %s all become %s", list, env))
	}
	if len(clashes) == 0 {
		return nil
	}
	sort.Strings(clashes)
	return &UsageError{Err: fmt.Errorf("%s: rename them in the manifest so each maps to its own variable (or use -o json)", strings.Join(clashes, "; "))}
}
