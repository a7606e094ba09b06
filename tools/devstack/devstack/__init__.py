"""Running the whole system on one machine: `make run` and the end-to-end tests share this."""
