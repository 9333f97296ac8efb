"""Stage 6, build: one recipe file -> a Result, running the stages before it in order; the files a
compile writes, planned and checked before any is written. This is the library API the CLI calls."""
