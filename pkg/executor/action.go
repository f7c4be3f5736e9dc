package executor

// Action is what a plan does to one resource.
type Action string

// Actions, as shown by plan and recorded in events.
const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionReplace Action = "replace"
	ActionNoOp    Action = "no-op"
	ActionRead    Action = "read"
	ActionImport  Action = "import"
	// ActionResume finishes a create that a previous run started (intent
	// recorded, outcome unknown): reconcile first, create only if nothing
	// matches.
	ActionResume Action = "resume"
	// ActionOrphan marks a resource in state that the manifest no longer
	// declares; apply leaves it alone unless --prune (then ActionDelete).
	ActionOrphan Action = "orphaned"
	ActionDelete Action = "delete"
)
