package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

// ephemeralUnitTest is resource.UnitTest for test cases whose configurations
// have ephemeral resources. It works around OpenTofu 1.11, whose plans list
// each ephemeral resource in the JSON's resource_changes with the action
// "open", even when nothing is to change (OpenTofu 1.12 stopped keeping
// ephemeral resources in plans, opentofu#3897; Terraform never listed them).
// terraform-plugin-testing counts that as a change, and fails every such step
// with "After applying this test step, the non-refresh plan was not empty"
// above a plan that says "No changes.".
//
// On such a CLI each step with an ephemeral block expects a non-empty plan,
// which turns the harness's emptiness check off, and gets emptyPlanCheck, the
// same check minus the ephemeral resources, on both post-apply plans instead.
// Elsewhere the test case runs unchanged.
func ephemeralUnitTest(t *testing.T, tc resource.TestCase) {
	t.Helper()
	if len(tc.TerraformVersionChecks) == 0 {
		t.Fatal("a test case with ephemeral resources needs TerraformVersionChecks, such as ephemeralVersions")
	}
	if cli, err := currentCLI(); err == nil && cli.listsEphemeralResourcesInPlan() {
		tc.Steps = slices.Clone(tc.Steps)
		for i := range tc.Steps {
			step := &tc.Steps[i]
			if step.ExpectNonEmptyPlan || !ephemeralBlock.MatchString(step.Config) {
				continue
			}
			step.ExpectNonEmptyPlan = true
			step.ConfigPlanChecks.PostApplyPreRefresh = append(slices.Clip(step.ConfigPlanChecks.PostApplyPreRefresh), emptyPlanCheck{})
			step.ConfigPlanChecks.PostApplyPostRefresh = append(slices.Clip(step.ConfigPlanChecks.PostApplyPostRefresh), emptyPlanCheck{})
		}
	}
	unitTest(t, tc)
}

var ephemeralBlock = regexp.MustCompile(`(?m)^\s*ephemeral\s+"`)

// listsEphemeralResourcesInPlan reports whether the CLI's plan JSON has
// ephemeral resources among resource_changes: OpenTofu 1.11 does.
func (c cliInfo) listsEphemeralResourcesInPlan() bool {
	return c.Family == cliOpenTofu && c.Version.Core().LessThan(opentofu112)
}

var opentofu112 = mustVersion("1.12.0")

// emptyPlanCheck is terraform-plugin-testing's own test of an empty plan
// (every resource change and every output change a no-op) except that it
// passes ephemeral resources being opened, which change nothing.
type emptyPlanCheck struct{}

func (emptyPlanCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	var errs []error
	for _, rc := range req.Plan.ResourceChanges {
		for _, a := range rc.Change.Actions {
			if a == tfjson.ActionNoop || (rc.Mode == "ephemeral" && a == "open") {
				continue
			}
			errs = append(errs, fmt.Errorf("%s: planned %v", rc.Address, rc.Change.Actions))
			break
		}
	}
	for name, oc := range req.Plan.OutputChanges {
		if !oc.Actions.NoOp() {
			errs = append(errs, fmt.Errorf("output %s: planned %v", name, oc.Actions))
		}
	}
	if len(errs) > 0 {
		resp.Error = fmt.Errorf("after applying this test step, the plan was not empty: %w", errors.Join(errs...))
	}
}

func TestEmptyPlanCheck(t *testing.T) {
	change := func(mode tfjson.ResourceMode, actions ...tfjson.Action) *tfjson.ResourceChange {
		return &tfjson.ResourceChange{Address: string(mode) + ".x.y", Mode: mode, Change: &tfjson.Change{Actions: actions}}
	}
	cases := []struct {
		name   string
		plan   tfjson.Plan
		passes bool
	}{
		{"nothing", tfjson.Plan{}, true},
		{"ephemeral opened", tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
			change("ephemeral", "open"), change(tfjson.ManagedResourceMode, tfjson.ActionNoop),
		}}, true},
		{"managed update", tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
			change("ephemeral", "open"), change(tfjson.ManagedResourceMode, tfjson.ActionUpdate),
		}}, false},
		{"managed opened", tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
			change(tfjson.ManagedResourceMode, "open"),
		}}, false},
		{"data read", tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
			change(tfjson.DataResourceMode, tfjson.ActionRead),
		}}, false},
		{"output changed", tfjson.Plan{OutputChanges: map[string]*tfjson.Change{
			"x": {Actions: tfjson.Actions{tfjson.ActionUpdate}},
		}}, false},
	}
	for _, tc := range cases {
		var resp plancheck.CheckPlanResponse
		emptyPlanCheck{}.CheckPlan(t.Context(), plancheck.CheckPlanRequest{Plan: &tc.plan}, &resp)
		if (resp.Error == nil) != tc.passes {
			t.Errorf("%s: error %v, want passing = %v", tc.name, resp.Error, tc.passes)
		}
	}
}

func TestListsEphemeralResourcesInPlan(t *testing.T) {
	for _, tc := range []struct {
		cli  cliInfo
		want bool
	}{
		{cliInfo{cliOpenTofu, mustVersion("1.11.6")}, true},
		{cliInfo{cliOpenTofu, mustVersion("1.11.7")}, true},
		{cliInfo{cliOpenTofu, mustVersion("1.12.0-beta1")}, false},
		{cliInfo{cliOpenTofu, mustVersion("1.12.6")}, false},
		{cliInfo{cliTerraform, mustVersion("1.10.0")}, false},
		{cliInfo{cliTerraform, mustVersion("1.11.4")}, false},
	} {
		if got := tc.cli.listsEphemeralResourcesInPlan(); got != tc.want {
			t.Errorf("%s: listsEphemeralResourcesInPlan() = %v, want %v", tc.cli, got, tc.want)
		}
	}
}
