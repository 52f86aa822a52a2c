"""The tools of a checkout, which production never installs: the local stack (`tools.stack`,
`orders dev`), its SMTP sink (`tools.smtp_sink`) and the benchmark (`tools.bench`, `orders bench`).

They may import everything in the project; nothing in the project imports them. Installed with
`make install` (see tools/pyproject.toml)."""
