"""The map's layout: columns follow calls and commands, arrows inside a column are kept short, curves fan out."""
from observability.drawing import columns, curves, layout


def test_columns_follow_the_longest_chain_of_calls():
    assert columns(["shop", "orders", "inventory"], [("shop", "orders"), ("orders", "inventory"), ("shop", "inventory")]) \
        == {"shop": 0, "orders": 1, "inventory": 2}


def test_a_cycle_does_not_loop_forever():
    assert set(columns(["a", "b"], [("a", "b"), ("b", "a")])) == {"a", "b"}


def test_a_column_is_ordered_so_arrows_inside_it_cross_few_rows():
    boxes, _, _ = layout(["root", "a", "b", "c"], [("root", "a"), ("root", "b"), ("root", "c")], [("a", "c"), ("c", "b")])
    rows = sorted(("a", "b", "c"), key=lambda name: boxes[name].y)
    assert abs(rows.index("a") - rows.index("c")) == 1 and abs(rows.index("c") - rows.index("b")) == 1


def test_arrows_between_the_same_two_boxes_take_different_paths():
    boxes, _, _ = layout(["a", "b"], [("a", "b")])
    there, back, again = curves(boxes, [("a", "b"), ("b", "a"), ("a", "b")])
    assert len({there.d, again.d}) == 2 and len({there.label_y, back.label_y, again.label_y}) == 3


def test_a_context_talking_to_itself_is_a_loop_above_its_box():
    assert columns(["orders"], [("orders", "orders")]) == {"orders": 0}
    boxes, _, _ = layout(["orders"], [("orders", "orders")])
    (loop,) = curves(boxes, [("orders", "orders")])
    assert " C" in loop.d and loop.label_y < boxes["orders"].y
