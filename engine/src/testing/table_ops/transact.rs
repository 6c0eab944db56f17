//! TransactWriteItems and TransactGetItems against the reference.
//!
//! Reference semantics (DG "Amazon DynamoDB transactions: how it works"; API reference
//! "TransactWriteItems", "CancellationReason"): every action is judged on the items as they were
//! before the transaction (no two actions name one item, so none sees another's effect); when
//! any action's condition is false or its update cannot apply, nothing changes and the answer
//! is a `TransactionCanceledException` with one reason per action in request order (`None`,
//! `ConditionalCheckFailed` with the item for `ALL_OLD`, or `ValidationError`); otherwise every
//! action applies. A request repeated with its `ClientRequestToken` answers as the first did
//! (when that succeeded, without applying anything again); the token with another request is
//! an `IdempotentParameterMismatchException`.

use std::fmt::Debug;

use arbitrary::{Arbitrary, Unstructured};

use super::batch::{drawn_list, repeats};
use super::{
    apply, normalized, project, put_item, ActA, Attrs, Cond, Harness, Key, Num, Projection,
    Refusal, Render, Update, TABLE,
};
use crate::api::{
    self as api, DbError, Get, TransactGetItem, TransactGetItemsInput, TransactWriteItem,
    TransactWriteItemsInput,
};
use crate::model::Item;

/// DynamoDB's message for a transaction that names one item twice.
const SAME_ITEM: &str = "Transaction request cannot include multiple operations on one item";
/// DynamoDB's message in the reason of a failed condition.
const CONDITION_FAILED: &str = "The conditional request failed";
/// DynamoDB's bound on the actions of one transaction.
const ACTIONS_MAX: usize = 100;

/// What an action of a TransactWriteItems does to its item.
#[derive(Clone, Debug)]
pub enum ActionKind {
    /// A put of an item with these attributes, under a condition or not.
    Put(Attrs, Option<Cond>),
    /// An update (never empty: a transaction's update needs an expression).
    Update(Update, Option<Cond>),
    /// A delete.
    Delete(Option<Cond>),
    /// A condition check.
    Check(Cond),
}

impl<'a> Arbitrary<'a> for ActionKind {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<ActionKind> {
        // A condition on one write in three, so that a good share of transactions commit.
        let condition = |u: &mut Unstructured<'a>| -> arbitrary::Result<Option<Cond>> {
            if u.ratio(1, 3)? {
                u.arbitrary().map(Some)
            } else {
                Ok(None)
            }
        };
        Ok(match u.int_in_range(0..=3u8)? {
            0 => ActionKind::Put(u.arbitrary()?, condition(u)?),
            1 => {
                let mut update: Update = u.arbitrary()?;
                let empty = update.a.is_none()
                    && update.b.is_none()
                    && update.s.is_none()
                    && update.l.is_none()
                    && update.m.is_none()
                    && update.g.is_none()
                    && update.h.is_none();
                if empty {
                    update.a = Some(ActA::Add(Num(0)));
                }
                ActionKind::Update(update, condition(u)?)
            }
            2 => ActionKind::Delete(condition(u)?),
            _ => ActionKind::Check(u.arbitrary()?),
        })
    }
}

/// One action of a TransactWriteItems.
#[derive(Arbitrary, Clone, Debug)]
pub struct Action {
    key: Key,
    kind: ActionKind,
    /// `ReturnValuesOnConditionCheckFailure: ALL_OLD`.
    old_on_failure: bool,
}

/// How a TransactWriteItems uses a `ClientRequestToken`.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenUse {
    /// The request is sent twice with one token.
    Repeat,
    /// As `Repeat`, then the token once more with another request.
    Mismatch,
}

/// A TransactWriteItems.
#[derive(Clone, Debug)]
pub struct TransactWriteOp {
    actions: Vec<Action>,
    token: Option<TokenUse>,
}

impl<'a> Arbitrary<'a> for TransactWriteOp {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<TransactWriteOp> {
        let actions = drawn_list(u, ACTIONS_MAX, |action: &Action| action.key)?;
        Ok(TransactWriteOp { actions, token: u.arbitrary()? })
    }
}

/// A TransactGetItems: keys, each with a projection or without.
#[derive(Clone, Debug)]
pub struct TransactGetOp {
    gets: Vec<(Key, Option<Projection>)>,
}

impl<'a> Arbitrary<'a> for TransactGetOp {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<TransactGetOp> {
        Ok(TransactGetOp { gets: drawn_list(u, ACTIONS_MAX, |get: &(Key, _)| get.0)? })
    }
}

/// A TransactWriteItems' answer, as compared.
#[derive(Clone, Debug, PartialEq)]
enum Answer {
    Done,
    /// `TransactionCanceledException`: its message and, per action, the code, the message
    /// (left out for a `ValidationError`, whose wording is not modelled) and the item.
    Canceled {
        message: String,
        reasons: Vec<(String, Option<String>, Option<Item>)>,
    },
    /// `ValidationException`, with its message.
    Invalid(String),
    /// `IdempotentParameterMismatchException`.
    Mismatch,
}

fn answer(result: Result<api::TransactWriteItemsOutput, DbError>, request: &dyn Debug) -> Answer {
    match result {
        Ok(_) => Answer::Done,
        Err(DbError::TransactionCanceled { message, reasons }) => {
            let reasons = reasons
                .into_iter()
                .map(|r| {
                    let code = r.code.unwrap_or_default();
                    let message = r.message.filter(|_| code != "ValidationError");
                    (code, message, r.item.map(normalized))
                })
                .collect();
            Answer::Canceled { message, reasons }
        }
        Err(DbError::Validation(message)) => Answer::Invalid(message),
        Err(DbError::IdempotentParameterMismatch(_)) => Answer::Mismatch,
        Err(other) => panic!("{request:?}\nfailed: {other:?}"),
    }
}

/// The cancellation the reference expects from each action's verdict.
fn canceled(verdicts: &[Result<Option<Item>, Refusal>]) -> Answer {
    let reasons: Vec<_> = verdicts
        .iter()
        .map(|verdict| match verdict {
            Ok(_) => ("None".to_owned(), None, None),
            Err(Refusal::Condition(item)) => (
                "ConditionalCheckFailed".to_owned(),
                Some(CONDITION_FAILED.to_owned()),
                item.clone(),
            ),
            Err(Refusal::Invalid) => ("ValidationError".to_owned(), None, None),
        })
        .collect();
    let codes: Vec<&str> = reasons.iter().map(|(code, ..)| code.as_str()).collect();
    let message = format!(
        "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
        codes.join(", ")
    );
    Answer::Canceled { message, reasons }
}

impl Action {
    /// The action as a member of `TransactItems`.
    fn request(&self) -> TransactWriteItem {
        let mut render = Render::default();
        let table_name = Some(TABLE.to_owned());
        let key = Some(self.key.item());
        let on_failure = self.old_on_failure.then(|| "ALL_OLD".to_owned());
        match &self.kind {
            ActionKind::Put(attrs, condition) => {
                let condition_expression = condition.as_ref().map(|c| render.cond(c));
                let (names, values) = render.maps();
                let put = api::Put {
                    table_name,
                    item: Some(put_item(self.key, attrs)),
                    condition_expression,
                    expression_attribute_names: names,
                    expression_attribute_values: values,
                    return_values_on_condition_check_failure: on_failure,
                };
                TransactWriteItem { put: Some(put), ..TransactWriteItem::default() }
            }
            ActionKind::Update(update, condition) => {
                let update_expression = render.update(update);
                assert!(update_expression.is_some(), "a transaction's update is never empty");
                let condition_expression = condition.as_ref().map(|c| render.cond(c));
                let (names, values) = render.maps();
                let update = api::Update {
                    table_name,
                    key,
                    update_expression,
                    condition_expression,
                    expression_attribute_names: names,
                    expression_attribute_values: values,
                    return_values_on_condition_check_failure: on_failure,
                };
                TransactWriteItem { update: Some(update), ..TransactWriteItem::default() }
            }
            ActionKind::Delete(condition) => {
                let condition_expression = condition.as_ref().map(|c| render.cond(c));
                let (names, values) = render.maps();
                let delete = api::Delete {
                    table_name,
                    key,
                    condition_expression,
                    expression_attribute_names: names,
                    expression_attribute_values: values,
                    return_values_on_condition_check_failure: on_failure,
                };
                TransactWriteItem { delete: Some(delete), ..TransactWriteItem::default() }
            }
            ActionKind::Check(condition) => {
                let condition_expression = Some(render.cond(condition));
                let (names, values) = render.maps();
                let check = api::ConditionCheck {
                    table_name,
                    key,
                    condition_expression,
                    expression_attribute_names: names,
                    expression_attribute_values: values,
                    return_values_on_condition_check_failure: on_failure,
                };
                TransactWriteItem { condition_check: Some(check), ..TransactWriteItem::default() }
            }
        }
    }
}

impl TransactWriteOp {
    fn request(&self, token: Option<String>) -> TransactWriteItemsInput {
        TransactWriteItemsInput {
            transact_items: Some(self.actions.iter().map(Action::request).collect()),
            client_request_token: token,
            ..TransactWriteItemsInput::default()
        }
    }
}

impl Harness<'_> {
    pub(super) fn transact_write(&mut self, op: &TransactWriteOp) {
        let token = op.token.map(|_| {
            self.tokens += 1;
            format!("token-{}", self.tokens)
        });
        let input = op.request(token.clone());
        let expected = self.expected_transaction(op);
        self.compare_transaction(op, &input, &expected);
        let Some(token_use) = op.token else { return };
        // Once more with the token: a transaction that succeeded is not applied again; one
        // that did not is judged afresh (on the same items, so the same way).
        let again = match expected {
            Answer::Done => Answer::Done,
            _ => self.expected_transaction(op),
        };
        self.compare_transaction(op, &input, &again);
        if token_use == TokenUse::Mismatch && expected == Answer::Done {
            let mut other = op.clone();
            other.actions[0].old_on_failure ^= true;
            self.compare_transaction(op, &other.request(token), &Answer::Mismatch);
        }
    }

    /// The reference's answer to `op`, applying it to the model when it succeeds.
    fn expected_transaction(&mut self, op: &TransactWriteOp) -> Answer {
        if repeats(op.actions.iter().map(|action| action.key)) {
            return Answer::Invalid(SAME_ITEM.into());
        }
        let verdicts: Vec<_> = op.actions.iter().map(|action| self.verdict(action)).collect();
        if verdicts.iter().any(Result::is_err) {
            return canceled(&verdicts);
        }
        for (action, verdict) in op.actions.iter().zip(verdicts) {
            self.store(action.key.model_key(), verdict.expect("no action failed"));
        }
        Answer::Done
    }

    /// The item `action` leaves (`None`: no item), or why it fails.
    fn verdict(&self, action: &Action) -> Result<Option<Item>, Refusal> {
        let (key, on_failure) = (action.key, action.old_on_failure);
        let old = self.old(key);
        match &action.kind {
            ActionKind::Put(attrs, condition) => {
                self.check_condition(key, condition.as_ref(), on_failure)?;
                Ok(Some(put_item(key, attrs)))
            }
            ActionKind::Update(update, condition) => {
                self.check_condition(key, condition.as_ref(), on_failure)?;
                let mut new = old.cloned().unwrap_or_else(|| key.item());
                apply(update, &mut new, old.is_some())?;
                Ok(Some(new))
            }
            ActionKind::Delete(condition) => {
                self.check_condition(key, condition.as_ref(), on_failure)?;
                Ok(None)
            }
            ActionKind::Check(condition) => {
                self.check_condition(key, Some(condition), on_failure)?;
                Ok(old.cloned())
            }
        }
    }

    fn compare_transaction(
        &self,
        op: &TransactWriteOp,
        input: &TransactWriteItemsInput,
        expected: &Answer,
    ) {
        let actual = answer(self.db().transact_write_items(input.clone()), input);
        if actual != *expected {
            panic!(
                "{op:?}\n{input:?}\nanswered {actual:?}\nexpected {expected:?}\nitems now: {:?}",
                self.model
            );
        }
        self.check_count();
    }

    pub(super) fn transact_get(&mut self, op: &TransactGetOp) {
        let mut items = Vec::with_capacity(op.gets.len());
        for (key, projection) in &op.gets {
            let mut render = Render::default();
            let projection_expression = projection.as_ref().map(|p| render.projection(p));
            let (names, _) = render.maps();
            let get = Get {
                table_name: Some(TABLE.to_owned()),
                key: Some(key.item()),
                projection_expression,
                expression_attribute_names: names,
            };
            items.push(TransactGetItem { get: Some(get) });
        }
        let input = TransactGetItemsInput {
            transact_items: Some(items),
            ..TransactGetItemsInput::default()
        };
        let expected = if repeats(op.gets.iter().map(|(key, _)| *key)) {
            Err(DbError::Validation(SAME_ITEM.into()))
        } else {
            let item = |(key, projection): &(Key, Option<Projection>)| {
                self.old(*key).map(|item| match projection {
                    Some(projection) => project(item, projection),
                    None => item.clone(),
                })
            };
            Ok(op.gets.iter().map(item).collect::<Vec<_>>())
        };
        let actual = self.db().transact_get_items(input.clone()).map(|output| {
            let responses = output.responses.unwrap_or_default();
            responses.into_iter().map(|r| r.item.map(normalized)).collect()
        });
        assert_eq!(actual, expected, "{op:?}\n{input:?}");
    }
}
