//! A bottom-up fold over the AST, for translating filters into another query language.

use crate::ast::{AttrPath, CompValue, CompareOp, Filter};

/// Translates a [`Filter`] bottom-up: leaves first, then the logic that combines them.
///
/// Inside a value path, leaves receive the value path's attribute as `scope`, so a store can
/// resolve `type` in `emails[type eq "work"]` against its emails table; the value path itself is
/// folded last, from its attribute and its folded inner filter. Any method may fail, e.g. on an
/// attribute the store cannot query: the fold stops at the first error.
///
/// ```
/// use scim_filter::{AttrPath, CompValue, CompareOp, Filter, Fold};
///
/// /// Renders filters in a toy SQL dialect, with values as bound parameters.
/// #[derive(Default)]
/// struct Sql {
///     params: Vec<String>,
/// }
///
/// impl Fold for Sql {
///     type Output = String;
///     type Error = String;
///
///     fn compare(&mut self, scope: Option<&AttrPath>, attr: &AttrPath, op: CompareOp, value: &CompValue)
///         -> Result<String, String> {
///         let column = match scope {
///             Some(parent) => format!("{}.{}", parent.name, attr.name),
///             None => attr.name.clone(),
///         };
///         let CompValue::String(s) = value else { return Err(format!("{attr}: only strings")) };
///         self.params.push(s.clone());
///         match op {
///             CompareOp::Eq => Ok(format!("{column} = ${}", self.params.len())),
///             other => Err(format!("{other} is not supported")),
///         }
///     }
///     fn present(&mut self, _: Option<&AttrPath>, attr: &AttrPath) -> Result<String, String> {
///         Ok(format!("{} IS NOT NULL", attr.name))
///     }
///     fn value_path(&mut self, attr: &AttrPath, inner: String) -> Result<String, String> {
///         Ok(format!("EXISTS (SELECT 1 FROM {} WHERE {inner})", attr.name))
///     }
///     fn not(&mut self, inner: String) -> Result<String, String> {
///         Ok(format!("NOT ({inner})"))
///     }
///     fn and(&mut self, parts: Vec<String>) -> Result<String, String> {
///         Ok(format!("({})", parts.join(" AND ")))
///     }
///     fn or(&mut self, parts: Vec<String>) -> Result<String, String> {
///         Ok(format!("({})", parts.join(" OR ")))
///     }
/// }
///
/// let filter = Filter::parse(r#"userName eq "bjensen" and emails[type eq "work"]"#)?;
/// let mut sql = Sql::default();
/// let clause = filter.fold(&mut sql).unwrap();
/// assert_eq!(clause, "(userName = $1 AND EXISTS (SELECT 1 FROM emails WHERE emails.type = $2))");
/// assert_eq!(sql.params, ["bjensen", "work"]);
/// # Ok::<(), scim_filter::ParseError>(())
/// ```
pub trait Fold {
    /// What each node becomes.
    type Output;
    /// Why a node cannot be translated.
    type Error;

    /// `attr op value`; `scope` is the enclosing value path's attribute, if any.
    fn compare(
        &mut self,
        scope: Option<&AttrPath>,
        attr: &AttrPath,
        op: CompareOp,
        value: &CompValue,
    ) -> Result<Self::Output, Self::Error>;

    /// `attr pr`; `scope` is the enclosing value path's attribute, if any.
    fn present(
        &mut self,
        scope: Option<&AttrPath>,
        attr: &AttrPath,
    ) -> Result<Self::Output, Self::Error>;

    /// `attr[...]`, given the folded inner filter.
    fn value_path(
        &mut self,
        attr: &AttrPath,
        inner: Self::Output,
    ) -> Result<Self::Output, Self::Error>;

    /// `not (...)`, given the folded inner filter.
    fn not(&mut self, inner: Self::Output) -> Result<Self::Output, Self::Error>;

    /// An and-chain, given its folded parts (at least two).
    fn and(&mut self, parts: Vec<Self::Output>) -> Result<Self::Output, Self::Error>;

    /// An or-chain, given its folded parts (at least two).
    fn or(&mut self, parts: Vec<Self::Output>) -> Result<Self::Output, Self::Error>;
}

impl Filter {
    /// Folds this filter with `folder`: see [`Fold`].
    pub fn fold<F: Fold + ?Sized>(&self, folder: &mut F) -> Result<F::Output, F::Error> {
        self.fold_in(None, folder)
    }

    fn fold_in<F: Fold + ?Sized>(
        &self,
        scope: Option<&AttrPath>,
        folder: &mut F,
    ) -> Result<F::Output, F::Error> {
        match self {
            Self::Compare { attr, op, value } => folder.compare(scope, attr, *op, value),
            Self::Present(attr) => folder.present(scope, attr),
            Self::ValuePath(vp) => {
                let inner = vp.filter.fold_in(Some(&vp.attr), folder)?;
                folder.value_path(&vp.attr, inner)
            }
            Self::Not(inner) => {
                let inner = inner.fold_in(scope, folder)?;
                folder.not(inner)
            }
            Self::And(parts) => {
                let parts = fold_all(parts, scope, folder)?;
                folder.and(parts)
            }
            Self::Or(parts) => {
                let parts = fold_all(parts, scope, folder)?;
                folder.or(parts)
            }
        }
    }
}

fn fold_all<F: Fold + ?Sized>(
    parts: &[Filter],
    scope: Option<&AttrPath>,
    folder: &mut F,
) -> Result<Vec<F::Output>, F::Error> {
    parts.iter().map(|p| p.fold_in(scope, folder)).collect()
}
