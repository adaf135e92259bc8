"""netwarden's tests, a package tree: helpers are imported package-relatively."""
