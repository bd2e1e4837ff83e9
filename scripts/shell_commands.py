#!/usr/bin/python3
"""Prints the commands a bash script calls, one a line (for check-commands.sh).

    shell_commands.py FILE...

A small lexer of the shell's syntax, enough for our scripts: it knows quotes,
command substitutions ($(...) and backticks, nested, also inside double
quotes), arithmetic ($((...)) and ((...))), subshells, here-documents,
comments, line continuations, array assignments, `case` patterns and the
words that keep the command position (if, then, !, time, assignments...).
The first word of each simple command is printed as written; the caller drops
builtins, keywords and the scripts' own functions.
"""
import re
import sys

KEEP_POSITION = {"if", "then", "do", "else", "elif", "while", "until", "!", "time", "exec",
                 "{", "}", "fi", "done", "sudo", "$sudo"}
END_POSITION = {"for", "case", "select", "function", "in"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")


class Lexer:
    def __init__(self, text):
        self.s = text
        self.i = 0
        self.commands = []
        self.heredocs = []  # delimiters waiting for the end of the line

    def peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def skip_heredocs(self):
        # At a newline: the bodies of pending here-documents follow.
        for delim in self.heredocs:
            while self.i < len(self.s):
                end = self.s.find("\n", self.i)
                end = len(self.s) if end < 0 else end
                line = self.s[self.i:end]
                self.i = end + 1
                if line.strip() == delim:
                    break
        self.heredocs = []

    def single_quoted(self):
        self.i += 1
        end = self.s.find("'", self.i)
        self.i = len(self.s) if end < 0 else end + 1

    def double_quoted(self):
        self.i += 1
        while self.i < len(self.s):
            c = self.peek()
            if c == "\\":
                self.i += 2
            elif c == '"':
                self.i += 1
                return
            elif c == "$" and self.peek(1) == "(":
                self.substitution()
            elif c == "`":
                self.backticks()
            else:
                self.i += 1

    def arithmetic(self):
        # At "((": skip to the matching "))".
        depth = 0
        while self.i < len(self.s):
            c = self.peek()
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    self.i += 1
                    return
            self.i += 1

    def substitution(self):
        # At "$(": a command list up to the matching ")".
        if self.peek(2) == "(":
            self.i += 1
            self.arithmetic()
            return
        self.i += 2
        self.commands_until(")")

    def backticks(self):
        self.i += 1
        end = self.s.find("`", self.i)
        end = len(self.s) if end < 0 else end
        inner = Lexer(self.s[self.i:end])
        inner.commands_until("")
        self.commands += inner.commands
        self.i = end + 1

    def word(self):
        # Reads one word (quotes and substitutions inside it handled); returns its text.
        start = self.i
        while self.i < len(self.s):
            c = self.peek()
            if c in " \t\n;&|<>":
                break
            if c == ")":
                break
            if c == "(":
                if self.i > start and self.s[self.i - 1] == "=":  # x=( array )
                    depth = 0
                    while self.i < len(self.s):
                        d = self.peek()
                        if d == "(":
                            depth += 1
                        elif d == ")":
                            depth -= 1
                            if depth == 0:
                                self.i += 1
                                break
                        elif d == "'":
                            self.single_quoted()
                            continue
                        elif d == '"':
                            self.double_quoted()
                            continue
                        elif d == "#" and self.s[self.i - 1] in " \t\n":
                            end = self.s.find("\n", self.i)
                            self.i = len(self.s) if end < 0 else end
                            continue
                        self.i += 1
                    continue
                break
            if c == "\\":
                self.i += 2
            elif c == "'":
                self.single_quoted()
            elif c == '"':
                self.double_quoted()
            elif c == "$" and self.peek(1) == "(":
                self.substitution()
            elif c == "$" and self.peek(1) == "{":
                self.skip_through("}")
            elif c == "`":
                self.backticks()
            else:
                self.i += 1
        return self.s[start:self.i]

    def skip_through(self, end):
        # Skips to just after `end` (outside quotes): a [[ test ]] or a case pattern.
        while self.i < len(self.s):
            if self.s.startswith(end, self.i):
                self.i += len(end)
                return
            c = self.peek()
            if c == "'":
                self.single_quoted()
            elif c == '"':
                self.double_quoted()
            elif c == "\\":
                self.i += 2
            elif c == "$" and self.peek(1) == "(":
                self.substitution()
            else:
                self.i += 1

    def commands_until(self, closer):
        position = True  # at the start of a simple command
        case_depth = 0
        pattern = False  # a case pattern comes next
        awaiting_in = False  # after `case WORD`
        while self.i < len(self.s):
            c = self.peek()
            if pattern and c not in " \t\n":
                if self.s.startswith("esac", self.i):
                    self.i += 4
                    case_depth -= 1
                    pattern = False
                    position = False
                    continue
                self.skip_through(")")
                pattern = False
                position = True
                continue
            if c == "\\" and self.peek(1) == "\n":
                self.i += 2
            elif c in " \t":
                self.i += 1
            elif c == "\n":
                self.i += 1
                self.skip_heredocs()
                position = True
            elif c == "#" and (self.i == 0 or self.s[self.i - 1] in " \t\n;(|&"):
                end = self.s.find("\n", self.i)
                self.i = len(self.s) if end < 0 else end
            elif closer and c == closer:
                self.i += 1
                return
            elif c in ";&|":
                if c == ";" and self.peek(1) == ";" and case_depth:
                    self.i += 2
                    pattern = True
                    continue
                self.i += 1
                position = True
            elif c == "(":
                if self.peek(1) == "(":
                    self.arithmetic()
                    position = False
                else:
                    self.i += 1
                    self.commands_until(")")
            elif c == ")":  # end of a case pattern
                self.i += 1
                position = True
            elif c in "<>":
                heredoc = c == "<" and self.peek(1) == "<" and self.peek(2) != "<"
                while self.peek() in "<>&-":
                    self.i += 1
                while self.peek() in " \t":
                    self.i += 1
                target = self.word()
                if heredoc:
                    self.heredocs.append(target.strip("'\""))
            else:
                w = self.word()
                if not w:
                    self.i += 1
                    continue
                if not position:
                    if w == "in" and awaiting_in:
                        awaiting_in = False
                        pattern = True  # case WORD in: patterns follow
                    continue
                if ASSIGNMENT.match(w) or w in KEEP_POSITION:
                    continue
                if w == "case":
                    case_depth += 1
                    awaiting_in = True
                    position = False
                    continue
                if w == "esac":
                    case_depth -= 1
                    continue
                if w in END_POSITION:
                    position = False
                    continue
                if self.s.startswith("()", self.i):  # name() { ...: a function
                    self.i += 2
                    continue
                if w == "[[":
                    self.skip_through("]]")
                    position = False
                    continue
                self.commands.append(w)
                position = False


def main():
    found = set()
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            lexer = Lexer(f.read())
        lexer.commands_until("")
        found.update(lexer.commands)
    for name in sorted(found):
        print(name)


if __name__ == "__main__":
    main()
