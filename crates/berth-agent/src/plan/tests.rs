//! Table tests of the agent plan.
