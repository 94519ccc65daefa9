from django.urls import reverse


def test_gp_logs_in_with_password_and_totp_and_sees_start_page(client, gp, login_with_totp):
    login_with_totp(gp)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Huisartsenpraktijk De Linde" in response.content.decode()
