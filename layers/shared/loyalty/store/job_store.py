"""Checkpoints of scheduled jobs, so a run that stopped or a schedule that missed days resumes
exactly where the last run left off."""

from __future__ import annotations

from datetime import date

from loyalty.store import keys
from loyalty.store.table import TableStore, from_item, names, to_item, values


class JobStore(TableStore):
    def next_date(self, job: str) -> date | None:
        """The first date the job has not finished, or None if it never ran."""
        response = self.client.get_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.job_pk(job), "SK": keys.JOB_SK}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return date.fromisoformat(from_item(item)["next_date"]) if item else None

    def advance(self, job: str, next_date: date) -> None:
        """Move the checkpoint forward only: a late, slower run never moves it back."""
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=to_item({"PK": keys.job_pk(job), "SK": keys.JOB_SK}),
                UpdateExpression="SET next_date = :next",
                ConditionExpression="attribute_not_exists(next_date) OR next_date < :next",
                ExpressionAttributeValues=to_item({":next": next_date.isoformat()}),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return  # another run already went further

    # --- program sunsets: which tenants have one, and which of its steps are done -------------
    def sunsets(self) -> dict[str, set[str]]:
        """Tenant id -> the sunset steps done, for every tenant whose program ever had a sunset
        (a few items; the program document says whether one is still set)."""
        items = self.query_all(
            {
                "KeyConditionExpression": "PK = :pk",
                "ExpressionAttributeValues": values(pk=keys.SUNSETS_PK),
                "ConsistentRead": True,
            }
        )
        return {item["tenant_id"]: set(item.get("done") or ()) for item in items}

    def sunset_step_done(self, tenant_id: str, step: str) -> None:
        self.client.update_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.SUNSETS_PK, "SK": keys.sunset_sk(tenant_id)}),
            UpdateExpression="ADD #done :step",
            ExpressionAttributeNames=names("done"),
            ExpressionAttributeValues=values(step={step}),
        )
