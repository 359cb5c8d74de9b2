"""clicSÉQUR – Citoyens: accounts of individuals, kept apart from enterprise accounts."""
