import pytest

from shared.domain import ReasonCode
from shared.matching.reasons import reason_code_for


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("damaged goods", ReasonCode.DAMAGED),
        ("Qty short shipped", ReasonCode.SHORTAGE),
        ("price not as agreed", ReasonCode.PRICING),
        ("co-op advertising", ReasonCode.PROMOTION),
        ("freight disallowed", ReasonCode.FREIGHT),
        ("RMA 4411 returned", ReasonCode.RETURN),
        ("see letter", ReasonCode.OTHER),
    ],
)
def test_reason_wording_maps_to_code(text: str, code: ReasonCode) -> None:
    assert reason_code_for(text) is code
