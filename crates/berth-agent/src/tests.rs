//! Component tests of the pod sync driver against a recording fake API and the simulated runtime.
