"""The HAR doctor: `python -m e2e.har FILE.har [--scrubbed OUT.har]`.

Reads a HAR exported by Chrome, Firefox or Playwright for a sign-in through Logto (and Okta, or another enterprise
IdP), reconstructs its hops as the suite's timeline does (e2e/timeline.py), names the first that breaks a protocol
rule or ends in an error (e2e/har/doctor.py), and writes a copy with every secret removed, to share
(e2e/har/scrub.py).
"""
