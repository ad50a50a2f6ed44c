"""Settings for every test folder (tests/, emulator/tests, mailserver/tests)."""

import hypothesis

# No example may fail for taking long: a loaded machine (CI beside other work) is slow,
# not wrong. The suite stays independent of the machine's speed.
hypothesis.settings.register_profile("no_deadline", deadline=None)
hypothesis.settings.load_profile("no_deadline")
