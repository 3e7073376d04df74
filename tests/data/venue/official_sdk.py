"""The venue's own Python SDK (binance-connector) against `strata venue serve`, unchanged but for its base URL.

It signs its requests itself, so this checks that the fake venue verifies signatures, timestamps and parameters
exactly as the venue documents them. Usage: official_sdk.py BASE_URL API_KEY API_SECRET SYMBOL. Prints `ok`.
"""
import sys

from binance.error import ClientError
from binance.spot import Spot

base, key, secret, symbol = sys.argv[1:5]
client = Spot(api_key=key, api_secret=secret, base_url=base)

assert "serverTime" in client.time()
info = client.exchange_info(symbol=symbol)
assert info["symbols"][0]["symbol"] == symbol, info

bought = client.new_order(symbol=symbol, side="BUY", type="MARKET", quantity=0.01, newClientOrderId="sdk-1")
assert bought["status"] == "FILLED" and bought["clientOrderId"] == "sdk-1", bought
price = float(bought["fills"][0]["price"])
assert client.get_order(symbol, origClientOrderId="sdk-1")["executedQty"] == "0.01000000"

# A limit order far below the market rests, is listed as open, and is cancelled.
limit = round(price * 0.5, 2)
resting = client.new_order(
    symbol=symbol, side="BUY", type="LIMIT", timeInForce="GTC", quantity=0.01, price=limit, newClientOrderId="sdk-2"
)
assert resting["status"] == "NEW", resting
assert [o["clientOrderId"] for o in client.get_open_orders(symbol)] == ["sdk-2"]
assert client.cancel_order(symbol, origClientOrderId="sdk-2")["status"] == "CANCELED"

balances = {b["asset"]: float(b["free"]) for b in client.account()["balances"]}
assert abs(balances["BTC"] - 0.01 * 0.999) < 1e-9, balances
assert len(client.my_trades(symbol)) == 1

# The venue's errors, as the SDK reports them.
def code_of(call):
    try:
        call()
    except ClientError as e:
        return e.error_code
    raise AssertionError("no error")

assert code_of(lambda: Spot(api_key=key, api_secret="wrong", base_url=base).account()) == -1022
assert code_of(lambda: Spot(api_key="other", api_secret=secret, base_url=base).account()) == -2015
assert code_of(lambda: client.get_order(symbol, origClientOrderId="nope")) == -2013
assert code_of(lambda: client.new_order(symbol=symbol, side="BUY", type="MARKET", quantity=0.000001)) == -1013
assert code_of(lambda: client.new_order(symbol="NOPEUSDT", side="BUY", type="MARKET", quantity=1)) == -1121
print("ok")
