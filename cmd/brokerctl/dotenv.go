package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/brokerctl/brokerctl/pkg/executor"
)

// writeDotenv writes outs as NAME=value lines that mean the same value to
// the two readers of .env files: a POSIX shell (`set -a; . ./.env`) and
// docker compose's dotenv parser (compose-go). Output values can come from
// API objects and CSV cells, so quoting must never let a value run a
// command when the file is sourced.
//
// The rules of the two readers that matter:
//   - sh: inside '...' nothing is special and ' cannot appear; inside "..."
//     $, `, " and \ are special (\ escapes them).
//   - compose: inside '...' nothing is special, and the value ends at the
//     first ' not preceded by \; inside "..." \\, \", \$, \n... are escapes,
//     $VAR is expanded, and a backtick is literal (\` stays two characters).
//
// So a value is single-quoted when it can be (no ', no trailing \): both
// readers take it literally, newlines included. Otherwise it is
// double-quoted with \, ", $ and ` escaped, which sh always reads exactly;
// when compose would read it differently (it contains both ' and `, or
// ends with \) a warning names the output on errw. A value containing a
// NUL byte cannot be an environment variable at all and is refused before
// anything is written.
func writeDotenv(w, errw io.Writer, outs map[string]executor.OutputValue) error {
	names := sortedNames(outs)
	lines := make([]string, 0, len(names))
	for _, k := range names {
		v := formatValue(outs[k].Value)
		q, composeSafe, err := dotenvQuote(v)
		if err != nil {
			return fmt.Errorf("output %s: %w; use -o json", k, err)
		}
		if !composeSafe {
			fmt.Fprintf(errw, "warning: output %s: docker compose reads this dotenv value differently from sh (it contains both ' and ` or ends with \\); sh reads it exactly\n", k)
		}
		lines = append(lines, envName(k)+"="+q+"\n")
	}
	for _, l := range lines {
		if _, err := io.WriteString(w, l); err != nil {
			return err
		}
	}
	return nil
}

// dotenvQuote quotes s for a .env file (see writeDotenv) and reports
// whether docker compose reads the result as s too.
func dotenvQuote(s string) (quoted string, composeSafe bool, err error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", false, fmt.Errorf("value contains a NUL byte, which no environment variable can hold")
	}
	trailingBackslash := strings.HasSuffix(s, `\`)
	if !strings.Contains(s, "'") && !trailingBackslash {
		return "'" + s + "'", true, nil
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return `"` + r.Replace(s) + `"`, !trailingBackslash && !strings.Contains(s, "`"), nil
}
