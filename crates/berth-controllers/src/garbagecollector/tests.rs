//! Table tests of the garbage collector plan and component tests of its driver.
