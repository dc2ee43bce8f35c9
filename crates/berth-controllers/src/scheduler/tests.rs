//! Table tests of the scheduler placement and component tests of its driver against a recording fake.
