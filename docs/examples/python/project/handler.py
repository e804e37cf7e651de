"""The Sealbox shape: global scope holds a lease handle; the plaintext exists only inside the call."""

from sealbox.client import SealboxClient

db_password = SealboxClient().lease("/app/db/password")  # sends nothing: created at the first value()


def handle(event, context):
    with db_password.value() as secret:  # a bytearray, wiped when the block ends
        return len(secret)
