def test_profile_shows_the_join_date(client, user):
    response = client.get(f"/u/{user.username}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{user.username}</h1>" in page
    assert f'Joined <time datetime="{user.date_joined.isoformat()}">' in page


def test_profile_of_unknown_user_is_404(client, db):
    response = client.get("/u/nosuchuser/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_profile_of_deactivated_user_is_404(client, user):
    user.is_active = False
    user.save()
    assert client.get(f"/u/{user.username}/").status_code == 404
