import handler


def test_the_handler_fetches_its_password_per_invocation(sealbox):
    assert sealbox.calls() == []  # importing handler fetched nothing
    assert handler.handle({}, None) == len("s3cr3t")
    assert ("lease:Redeem", "/app/db/password") in sealbox.operations()
