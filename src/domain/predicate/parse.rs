//! The query-predicate grammar: text → untyped syntax tree, with 1-based character positions
//! in every error.
//!
//! ```text
//! predicate  := or
//! or         := and ("or" and)*
//! and        := unary ("and" unary)*
//! unary      := "not" "(" predicate ")" | "(" predicate ")" | field
//! field      := name "(" predicate ")"                      nested object / array of objects
//!             | name op operand                             = != <> < <= > >=
//!             | name ["not"] "in" list
//!             | name "contains" ("any" | "all") list
//!             | name "is" ["not"] ("empty" | "defined")
//! list       := "(" operand ("," operand)* ")" | :variable
//! operand    := "string" | 'string' | number | true | false | :variable
//! ```
//! Keywords are case-insensitive. Strings take backslash escapes (`\"`, `\\`, `\n`, `\t`,
//! `\uXXXX`, …).

/// A parse error: what went wrong and where (1-based character position).
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub position: usize,
}

/// Longest predicate accepted, in bytes (URLs are limited to 16 KB anyway).
pub const MAX_LENGTH: usize = 10_000;
/// Deepest nesting of parentheses accepted.
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A literal value as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(serde_json::Number),
    Bool(bool),
}

/// A value or a `:variable` to be looked up in the `var.<name>` parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Lit(Literal),
    Var(String),
}

/// A list of operands, or one `:variable` that stands for a whole list.
#[derive(Debug, Clone, PartialEq)]
pub enum ListOperand {
    Items(Vec<Operand>),
    Var(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsTest {
    Empty,
    NotEmpty,
    Defined,
    NotDefined,
}

/// A field name and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub position: usize,
}

/// The untyped syntax tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Nested {
        field: Name,
        inner: Box<Expr>,
    },
    Compare {
        field: Name,
        op: CmpOp,
        value: Operand,
    },
    In {
        field: Name,
        values: ListOperand,
        negated: bool,
    },
    Contains {
        field: Name,
        values: ListOperand,
        all: bool,
    },
    Is {
        field: Name,
        test: IsTest,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Num(serde_json::Number),
    Var(String),
    Op(CmpOp),
    LParen,
    RParen,
    Comma,
    End,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Ident(name) => format!("'{name}'"),
            Token::Str(_) => "a string".into(),
            Token::Num(n) => format!("the number {n}"),
            Token::Var(name) => format!("':{name}'"),
            Token::Op(op) => format!("'{}'", op.sql()),
            Token::LParen => "'('".into(),
            Token::RParen => "')'".into(),
            Token::Comma => "','".into(),
            Token::End => "the end of the predicate".into(),
        }
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Splits the text into tokens with their (1-based) positions.
fn lex(text: &str) -> Result<Vec<(Token, usize)>, SyntaxError> {
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        i: 0,
    };
    let mut tokens = Vec::new();
    while let Some(c) = lexer.peek(0) {
        if c.is_whitespace() {
            lexer.i += 1;
            continue;
        }
        let start = lexer.i;
        tokens.push((lexer.token(c)?, start + 1));
    }
    tokens.push((Token::End, lexer.chars.len() + 1));
    Ok(tokens)
}

/// Reads tokens off a predicate's characters.
struct Lexer {
    chars: Vec<char>,
    i: usize,
}

fn syntax_error(message: String, at: usize) -> SyntaxError {
    SyntaxError {
        message,
        position: at + 1,
    }
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.i + ahead).copied()
    }

    /// The token that starts with `c` (at the current position).
    fn token(&mut self, c: char) -> Result<Token, SyntaxError> {
        let start = self.i;
        let (token, len) = match (c, self.peek(1)) {
            ('(', _) => (Token::LParen, 1),
            (')', _) => (Token::RParen, 1),
            (',', _) => (Token::Comma, 1),
            ('=', _) => (Token::Op(CmpOp::Eq), 1),
            ('!', Some('=')) => (Token::Op(CmpOp::Ne), 2),
            ('<', Some('=')) => (Token::Op(CmpOp::Le), 2),
            ('<', Some('>')) => (Token::Op(CmpOp::Ne), 2),
            ('<', _) => (Token::Op(CmpOp::Lt), 1),
            ('>', Some('=')) => (Token::Op(CmpOp::Ge), 2),
            ('>', _) => (Token::Op(CmpOp::Gt), 1),
            ('"' | '\'', _) => return self.string(c),
            (':', _) => return self.variable(),
            (c, next)
                if c.is_ascii_digit() || (c == '-' && next.is_some_and(|n| n.is_ascii_digit())) =>
            {
                return self.number()
            }
            (c, _) if is_name_start(c) => {
                while self.peek(0).is_some_and(is_name_char) {
                    self.i += 1;
                }
                return Ok(Token::Ident(self.chars[start..self.i].iter().collect()));
            }
            (other, _) => {
                return Err(syntax_error(
                    format!("Unexpected character '{other}'."),
                    start,
                ))
            }
        };
        self.i += len;
        Ok(token)
    }

    /// A string in `"…"` or `'…'` with backslash escapes.
    fn string(&mut self, quote: char) -> Result<Token, SyntaxError> {
        let start = self.i;
        let unterminated = || syntax_error("Unterminated string.".into(), start);
        let mut value = String::new();
        self.i += 1;
        loop {
            let c = self.peek(0).ok_or_else(unterminated)?;
            self.i += 1;
            match c {
                c if c == quote => return Ok(Token::Str(value)),
                '\\' => {
                    let escaped = self.peek(0).ok_or_else(unterminated)?;
                    self.i += 1;
                    value.push(self.escape(escaped)?);
                }
                other => value.push(other),
            }
        }
    }

    /// The character a backslash escape stands for (`\u` reads its four hex digits).
    fn escape(&mut self, escaped: char) -> Result<char, SyntaxError> {
        let at = self.i - 2;
        Ok(match escaped {
            '"' | '\'' | '\\' | '/' => escaped,
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'u' => {
                let hex: String = self.chars.iter().skip(self.i).take(4).collect();
                let code = (hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32)
                    .ok_or_else(|| syntax_error("Invalid \\u escape in string.".into(), at))?;
                self.i += 4;
                code
            }
            other => {
                return Err(syntax_error(
                    format!("Invalid escape '\\{other}' in string."),
                    at,
                ))
            }
        })
    }

    /// `:name`.
    fn variable(&mut self) -> Result<Token, SyntaxError> {
        let start = self.i;
        self.i += 1;
        let name_start = self.i;
        while self.peek(0).is_some_and(|c| c.is_ascii_alphanumeric()) {
            self.i += 1;
        }
        if self.i == name_start {
            return Err(syntax_error(
                "Expected a variable name after ':'.".into(),
                start,
            ));
        }
        Ok(Token::Var(self.chars[name_start..self.i].iter().collect()))
    }

    /// A JSON number.
    fn number(&mut self) -> Result<Token, SyntaxError> {
        let start = self.i;
        self.i += 1;
        while let Some(c) = self.peek(0) {
            let exponent_sign =
                matches!(c, '+' | '-') && matches!(self.chars[self.i - 1], 'e' | 'E');
            if !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E') || exponent_sign) {
                break;
            }
            self.i += 1;
        }
        let raw: String = self.chars[start..self.i].iter().collect();
        let number: serde_json::Number = serde_json::from_str(&raw)
            .map_err(|_| syntax_error(format!("Invalid number '{raw}'."), start))?;
        Ok(Token::Num(number))
    }
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    next: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.next].0
    }

    fn position(&self) -> usize {
        self.tokens[self.next].1
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Token::Ident(name) if name.eq_ignore_ascii_case(keyword))
    }

    fn peek_keyword_at(&self, offset: usize, keyword: &str) -> bool {
        matches!(self.tokens.get(self.next + offset), Some((Token::Ident(name), _)) if name.eq_ignore_ascii_case(keyword))
    }

    fn bump(&mut self) -> (Token, usize) {
        let token = self.tokens[self.next].clone();
        if self.next + 1 < self.tokens.len() {
            self.next += 1;
        }
        token
    }

    fn fail<T>(&self, expected: &str) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            message: format!("Expected {expected}, found {}.", self.peek().describe()),
            position: self.position(),
        })
    }

    fn expect(&mut self, token: Token, expected: &str) -> Result<(), SyntaxError> {
        if *self.peek() == token {
            self.bump();
            Ok(())
        } else {
            self.fail(expected)
        }
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError {
                message: format!("The predicate is nested deeper than {MAX_DEPTH} levels."),
                position: self.position(),
            });
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        let mut items = vec![self.and()?];
        while self.peek_keyword("or") {
            self.bump();
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut items = vec![self.unary()?];
        while self.peek_keyword("and") {
            self.bump();
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    /// `( predicate )`
    fn group(&mut self) -> Result<Expr, SyntaxError> {
        self.expect(Token::LParen, "'('")?;
        self.enter()?;
        let inner = self.or()?;
        self.depth -= 1;
        self.expect(Token::RParen, "')'")?;
        Ok(inner)
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.peek_keyword("not")
            && matches!(self.tokens.get(self.next + 1), Some((Token::LParen, _)))
        {
            self.bump();
            return Ok(Expr::Not(Box::new(self.group()?)));
        }
        if *self.peek() == Token::LParen {
            return self.group();
        }
        self.field()
    }

    fn field(&mut self) -> Result<Expr, SyntaxError> {
        let Token::Ident(text) = self.peek().clone() else {
            return self.fail("a field name, 'not (' or '('");
        };
        let field = Name {
            text,
            position: self.position(),
        };
        self.bump();
        match self.peek().clone() {
            Token::LParen => {
                let inner = self.group()?;
                Ok(Expr::Nested {
                    field,
                    inner: Box::new(inner),
                })
            }
            Token::Op(op) => {
                self.bump();
                Ok(Expr::Compare {
                    field,
                    op,
                    value: self.operand()?,
                })
            }
            Token::Ident(_) if self.peek_keyword("in") => {
                self.bump();
                Ok(Expr::In {
                    field,
                    values: self.list()?,
                    negated: false,
                })
            }
            Token::Ident(_) if self.peek_keyword("not") && self.peek_keyword_at(1, "in") => {
                self.bump();
                self.bump();
                Ok(Expr::In {
                    field,
                    values: self.list()?,
                    negated: true,
                })
            }
            Token::Ident(_) if self.peek_keyword("contains") => {
                self.bump();
                self.contains(field)
            }
            Token::Ident(_) if self.peek_keyword("is") => {
                self.bump();
                self.is(field)
            }
            Token::Ident(_) if self.peek_keyword("within") => Err(SyntaxError {
                message: "Geo predicates ('within circle') are not supported on customers.".into(),
                position: self.position(),
            }),
            _ => self.fail(&format!(
                "an operator, 'in', 'contains', 'is' or '(' after '{}'",
                field.text
            )),
        }
    }

    /// After `field contains`: `any (…)` or `all (…)`.
    fn contains(&mut self, field: Name) -> Result<Expr, SyntaxError> {
        let all = if self.peek_keyword("all") {
            true
        } else if self.peek_keyword("any") {
            false
        } else {
            return self.fail("'any' or 'all'");
        };
        self.bump();
        Ok(Expr::Contains {
            field,
            values: self.list()?,
            all,
        })
    }

    /// After `field is`: `[not] empty` or `[not] defined`.
    fn is(&mut self, field: Name) -> Result<Expr, SyntaxError> {
        let negated = self.peek_keyword("not");
        if negated {
            self.bump();
        }
        let test = match (
            self.peek_keyword("empty"),
            self.peek_keyword("defined"),
            negated,
        ) {
            (true, _, false) => IsTest::Empty,
            (true, _, true) => IsTest::NotEmpty,
            (_, true, false) => IsTest::Defined,
            (_, true, true) => IsTest::NotDefined,
            _ => return self.fail("'empty' or 'defined'"),
        };
        self.bump();
        Ok(Expr::Is { field, test })
    }

    fn operand(&mut self) -> Result<Operand, SyntaxError> {
        let literal = match self.peek().clone() {
            Token::Str(value) => Literal::Str(value),
            Token::Num(number) => Literal::Num(number),
            Token::Var(name) => {
                self.bump();
                return Ok(Operand::Var(name));
            }
            Token::Ident(_) if self.peek_keyword("true") => Literal::Bool(true),
            Token::Ident(_) if self.peek_keyword("false") => Literal::Bool(false),
            _ => {
                return self.fail("a value (a quoted string, a number, true, false or a :variable)")
            }
        };
        self.bump();
        Ok(Operand::Lit(literal))
    }

    fn list(&mut self) -> Result<ListOperand, SyntaxError> {
        if let Token::Var(name) = self.peek().clone() {
            self.bump();
            return Ok(ListOperand::Var(name));
        }
        self.expect(Token::LParen, "'(' or a :variable")?;
        let mut items = vec![self.operand()?];
        while *self.peek() == Token::Comma {
            self.bump();
            items.push(self.operand()?);
        }
        self.expect(Token::RParen, "',' or ')'")?;
        Ok(ListOperand::Items(items))
    }
}

/// Parses one predicate.
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    if text.len() > MAX_LENGTH {
        return Err(SyntaxError {
            message: format!("The predicate is longer than {MAX_LENGTH} bytes."),
            position: 1,
        });
    }
    let tokens = lex(text)?;
    let mut parser = Parser {
        tokens,
        next: 0,
        depth: 0,
    };
    if *parser.peek() == Token::End {
        return Err(SyntaxError {
            message: "The predicate is empty.".into(),
            position: 1,
        });
    }
    let expr = parser.or()?;
    if *parser.peek() != Token::End {
        return parser.fail("'and', 'or' or the end of the predicate");
    }
    Ok(expr)
}
