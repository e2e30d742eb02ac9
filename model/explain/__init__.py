"""Explaining a model: the explanation record, TreeSHAP, the tree walker, any model."""
