package main

import (
	"fmt"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/spf13/cobra"
)

// addRateLimitFlag adds --rate-limit to apply, plan and destroy: partners
// negotiate limits other than the Broker API's default 1,000 calls/min.
func (o *applyOptions) addRateLimitFlag(cmd *cobra.Command) {
	cmd.Flags().IntVar(&o.RateLimit, "rate-limit", broker.DefaultRequestsPerMinute,
		"the API's rate limit in requests/minute per quota (one shared, one per account for account-scoped paths); the client paces itself to it and plan's lower bound uses it")
}

// resolveRunTarget is resolveTarget plus the run's --rate-limit.
func (o *applyOptions) resolveRunTarget(g *Globals) (*targetSpec, error) {
	if o.RateLimit < 1 {
		return nil, &UsageError{Err: fmt.Errorf("--rate-limit %d: want requests per minute, at least 1", o.RateLimit)}
	}
	spec, err := resolveTarget(g)
	if err != nil {
		return nil, err
	}
	spec.RPM = o.RateLimit
	return spec, nil
}
