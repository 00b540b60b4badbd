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
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let error = |message: String, at: usize| SyntaxError {
        message,
        position: at + 1,
    };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                tokens.push((Token::LParen, start + 1));
                i += 1;
            }
            ')' => {
                tokens.push((Token::RParen, start + 1));
                i += 1;
            }
            ',' => {
                tokens.push((Token::Comma, start + 1));
                i += 1;
            }
            '=' => {
                tokens.push((Token::Op(CmpOp::Eq), start + 1));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                tokens.push((Token::Op(CmpOp::Ne), start + 1));
                i += 2;
            }
            '<' => {
                let (op, len) = match chars.get(i + 1) {
                    Some('=') => (CmpOp::Le, 2),
                    Some('>') => (CmpOp::Ne, 2),
                    _ => (CmpOp::Lt, 1),
                };
                tokens.push((Token::Op(op), start + 1));
                i += len;
            }
            '>' => {
                let (op, len) = match chars.get(i + 1) {
                    Some('=') => (CmpOp::Ge, 2),
                    _ => (CmpOp::Gt, 1),
                };
                tokens.push((Token::Op(op), start + 1));
                i += len;
            }
            '"' | '\'' => {
                let quote = c;
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(error("Unterminated string.".into(), start)),
                        Some(&q) if q == quote => {
                            i += 1;
                            break;
                        }
                        Some('\\') => {
                            let escaped = *chars
                                .get(i + 1)
                                .ok_or_else(|| error("Unterminated string.".into(), start))?;
                            i += 2;
                            match escaped {
                                '"' | '\'' | '\\' | '/' => value.push(escaped),
                                'n' => value.push('\n'),
                                't' => value.push('\t'),
                                'r' => value.push('\r'),
                                'b' => value.push('\u{8}'),
                                'f' => value.push('\u{c}'),
                                'u' => {
                                    let hex: String = chars.iter().skip(i).take(4).collect();
                                    let code = (hex.len() == 4)
                                        .then(|| u32::from_str_radix(&hex, 16).ok())
                                        .flatten()
                                        .and_then(char::from_u32)
                                        .ok_or_else(|| {
                                            error("Invalid \\u escape in string.".into(), i - 2)
                                        })?;
                                    value.push(code);
                                    i += 4;
                                }
                                other => {
                                    return Err(error(
                                        format!("Invalid escape '\\{other}' in string."),
                                        i - 2,
                                    ))
                                }
                            }
                        }
                        Some(&other) => {
                            value.push(other);
                            i += 1;
                        }
                    }
                }
                tokens.push((Token::Str(value), start + 1));
            }
            ':' => {
                i += 1;
                let name_start = i;
                while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                if i == name_start {
                    return Err(error("Expected a variable name after ':'.".into(), start));
                }
                let name: String = chars[name_start..i].iter().collect();
                tokens.push((Token::Var(name), start + 1));
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_digit()
                        || matches!(chars[i], '.' | 'e' | 'E')
                        || (matches!(chars[i], '+' | '-') && matches!(chars[i - 1], 'e' | 'E')))
                {
                    i += 1;
                }
                let raw: String = chars[start..i].iter().collect();
                let number: serde_json::Number = serde_json::from_str(&raw)
                    .map_err(|_| error(format!("Invalid number '{raw}'."), start))?;
                tokens.push((Token::Num(number), start + 1));
            }
            c if is_name_start(c) => {
                while i < chars.len() && is_name_char(chars[i]) {
                    i += 1;
                }
                tokens.push((Token::Ident(chars[start..i].iter().collect()), start + 1));
            }
            other => return Err(error(format!("Unexpected character '{other}'."), start)),
        }
    }
    tokens.push((Token::End, chars.len() + 1));
    Ok(tokens)
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
            Token::Ident(_) if self.peek_keyword("is") => {
                self.bump();
                let negated = self.peek_keyword("not");
                if negated {
                    self.bump();
                }
                let test = if self.peek_keyword("empty") {
                    if negated {
                        IsTest::NotEmpty
                    } else {
                        IsTest::Empty
                    }
                } else if self.peek_keyword("defined") {
                    if negated {
                        IsTest::NotDefined
                    } else {
                        IsTest::Defined
                    }
                } else {
                    return self.fail("'empty' or 'defined'");
                };
                self.bump();
                Ok(Expr::Is { field, test })
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
