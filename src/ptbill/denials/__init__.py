"""Denials: what an 835 adjustment or a 277CA rejection means and what to do by when
(billing-rules.md R-1..R-3, C-8, C-10). Pure core: a function of the codes and the payer's
windows, used by the ledger (acknowledgments, claim status), remit (posting, appeals) and
reports."""
