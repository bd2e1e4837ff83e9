"""W8's Python bolt: emits each input's values again, anchored, and acks it
(gale_multilang's defaults)."""
from gale_multilang import Bolt


class Identity(Bolt):
    def process(self, tup):
        self.emit(tup.values)


if __name__ == "__main__":
    Identity().run()
