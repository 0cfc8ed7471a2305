"""The seed's practice scenarios, runnable: they start the shop's processes, drive load and print what happened."""
