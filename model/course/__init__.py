"""For courses: lessons, the policy editor's comparison, fidelity to the hidden rules."""
