from catalog.data import sealed


def test_a_sealed_secret_opens_only_with_the_same_key(settings):
    box = sealed.seal("gAAAA-user-token")
    assert "user-token" not in box
    assert sealed.unseal(box) == "gAAAA-user-token"
    assert sealed.unseal(box[:-4] + "AAAA") is None
    assert sealed.unseal("") is None
    settings.SECRET_KEY = "rotated"
    assert sealed.unseal(box) is None
