"""The demo spare-parts store (备品备件) for `make run`: the bureau's parts store stocked with parts the ledger's
equipment takes (one already below its minimum, so the page has something to mark), and the morning's printer
repair taking its power module from the store, so the work order's reconciliation has something to settle.
Stocking it again adds nothing: parts already in the catalogue are left as they are."""

from collections.abc import Callable
from typing import Any, Protocol

STORE = {"code": "SJ-BJK", "name": "市局备件库", "site": "市局数据中心"}
# part number, name, equipment classes, unit cost, minimum stock, received
PARTS = [
    ("ZZJ-PSU-01", "制证机电源模块", ["card_printer"], "850.00", 2, 3),
    ("ZZJ-RIBBON", "制证机彩色色带", ["card_printer"], "260.00", 5, 12),
    ("HD-SAS-4T", "企业级硬盘 4TB", ["server", "storage"], "3200.00", 4, 6),
    ("DKQ-RD-01", "身份证读卡器", ["id_card_reader"], "680.00", 2, 1),
]
PRINTER_POWER_MODULE = "ZZJ-PSU-01"


class DeskCalls(Protocol):
    def __call__(self, who: str, method: str, path: str, body: Any = None) -> Any: ...

    def request(self, who: str, method: str, path: str, body: Any = None) -> Any: ...


def stock_the_store(desk: DeskCalls) -> str:
    """The store's id, the store made and stocked if it was not."""
    stores = {s["code"]: s["id"] for s in desk("dispatcher", "GET", "/api/spares/stores")}
    store_id = stores.get(STORE["code"]) or desk("dispatcher", "POST", "/api/spares/stores", STORE)["id"]
    known = {p["part_number"] for p in desk("dispatcher", "GET", "/api/spares/parts")}
    for number, name, classes, cost, minimum, received in PARTS:
        if number in known:
            continue
        part = {"part_number": number, "name": name, "asset_classes": classes, "unit_cost": cost}
        desk("dispatcher", "POST", "/api/spares/parts", {**part, "minimum_stock": minimum})
        receipt = {"part_number": number, "store_id": store_id, "quantity": received, "reference": "开通备件入库"}
        desk("dispatcher", "POST", "/api/spares/receipts", receipt)
    return str(store_id)


def issue(
    desk: DeskCalls,
    wait_until: Callable[[str, Callable[[], Any]], Any],
    *,
    engineer: str,
    order: str,
    store_id: str,
    part_number: str,
    quantity: int,
) -> None:
    """The engineer takes parts from the store for the work order, once assets has heard of it (a read, so no
    refused write lands in the audit log)."""
    wait_until(
        f"assets to know work order {order}",
        lambda: desk.request(engineer, "GET", f"/api/spares/work-orders/{order}").is_success,
    )
    body = {"part_number": part_number, "store_id": store_id, "quantity": quantity, "work_order_id": order}
    desk(engineer, "POST", "/api/spares/issues", body)
