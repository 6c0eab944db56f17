//! The request and response shapes of UpdateTimeToLive and DescribeTimeToLive.

use serde::{Deserialize, Serialize};

/// Which attribute holds an item's expiry time, and whether expiry is on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLiveSpecification {
    /// `true` to turn expiry on, `false` to turn it off.
    pub enabled: Option<bool>,
    /// The attribute holding each item's expiry time, as epoch seconds (a Number).
    pub attribute_name: Option<String>,
}

/// `UpdateTimeToLive`'s request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTimeToLiveInput {
    /// The table's name or ARN.
    pub table_name: Option<String>,
    /// The new setting.
    pub time_to_live_specification: Option<TimeToLiveSpecification>,
}

/// `UpdateTimeToLive`'s response: the setting as requested.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTimeToLiveOutput {
    /// The new setting.
    pub time_to_live_specification: TimeToLiveSpecification,
}

/// A table's time-to-live setting as DescribeTimeToLive shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLiveDescription {
    /// `ENABLED` or `DISABLED` (Basalt applies a change at once, so never `ENABLING` or
    /// `DISABLING`).
    pub time_to_live_status: String,
    /// The expiry attribute, while expiry is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_name: Option<String>,
}

/// `DescribeTimeToLive`'s response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTimeToLiveOutput {
    /// The setting.
    pub time_to_live_description: TimeToLiveDescription,
}
