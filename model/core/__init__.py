"""The vocabulary every room shares: column roles, value kinds, input errors, plain-JSON values."""
