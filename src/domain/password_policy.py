"""What makes a password acceptable (OWASP ASVS 2.1: length, not common, not the email)."""

from domain.email import EmailAddress
from domain.errors import WeakPassword

MIN_LENGTH = 8
MAX_LENGTH = 1024

# The most common passwords of at least MIN_LENGTH characters (from public breach
# corpora); shorter ones are already refused by the length rule.
COMMON_PASSWORDS = frozenset(
    """
    12345678 123456789 1234567890 12345678910 11111111 00000000 87654321 88888888
    12341234 11223344 123123123 987654321 password password1 password12 password123
    password! passw0rd p@ssw0rd p@ssword qwertyuiop qwerty123 qwerty12 1qaz2wsx 1q2w3e4r
    1q2w3e4r5t q1w2e3r4 zaq12wsx asdfghjkl asdfasdf abcd1234 abc12345 abcdefgh iloveyou
    iloveyou1 sunshine princess football baseball welcome1 welcome123 superman trustno1
    starwars whatever computer corvette mercedes jennifer michelle jordan23 liverpool
    chelsea1 letmein1 changeme changeme123 administrator admin123 admin1234 qwertyui
    1234qwer aaaaaaaa secret123 monkey123 dragon123 loveyou1 football1 baseball1
    master123 login123 hello123
    """.split()  # noqa: SIM905 (a word list reads best as words)
)


def check_password(password: str, email: EmailAddress | None = None) -> None:
    """Raise `WeakPassword` with the reason when `password` breaks a rule."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise WeakPassword(f"The password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"The password must be at most {MAX_LENGTH} characters long.")
    folded = password.strip().lower()
    if folded in COMMON_PASSWORDS:
        raise WeakPassword("That password is one of the most common ones. Choose another.")
    if len(set(password)) == 1:
        raise WeakPassword("The password must not be one character repeated.")
    if email is not None and folded in {email.value, email.value.split("@", 1)[0]}:
        raise WeakPassword("The password must not be your email address.")
