from django.urls import path
from django.views.generic import RedirectView

from studio.api import auth_users as auth_api
from studio.api import cron as cron_api
from studio.api import docs as docs_api
from studio.api import emails as emails_api
from studio.api import functions as functions_api
from studio.api import graphql as graphql_api
from studio.api import keys as keys_api
from studio.api import logs as logs_api
from studio.api import mailbox as mailbox_api
from studio.api import overview as overview_api
from studio.api import policies as policies_api
from studio.api import schema as schema_api
from studio.api import sql as sql_api
from studio.api import storage as storage_api
from studio.api import tables as tables_api
from studio.api import webhooks as webhooks_api
from studio.views import (
    auth,
    auth_users,
    cron,
    docs,
    emails,
    functions,
    logs,
    mailbox,
    overview,
    policies,
    tables,
)
from studio.views import graphql as graphql_page
from studio.views import schema as schema_page
from studio.views import sql as sql_page
from studio.views import storage as storage_page
from studio.views import webhooks as webhooks_page

app_name = "studio"

urlpatterns = [
    path("", overview.page, name="overview"),
    path("login/", auth.OperatorLoginView.as_view(), name="login"),
    path("login/totp/", auth.login_totp, name="login_totp"),
    path("logout/", auth.logout_view, name="logout"),
    path("account/", auth.account, name="account"),
    path("policies/", policies.page, name="policies"),
    path("policies/tester/", policies.tester, name="policy_tester"),
    path("api/policies/", policies_api.TablesView.as_view(), name="api_policies"),
    path(
        "api/policies/validate",
        policies_api.ValidateView.as_view(),
        name="api_policies_validate",
    ),
    path(
        "api/policies/statement",
        policies_api.StatementView.as_view(),
        name="api_policies_statement",
    ),
    path(
        "api/policies/test",
        policies_api.TestView.as_view(),
        name="api_policies_test",
    ),
    path("sql/", sql_page.page, name="sql"),
    path("graphql/", graphql_page.page, name="graphql"),
    path(
        "api/graphql/credentials",
        graphql_api.CredentialsView.as_view(),
        name="api_graphql_credentials",
    ),
    path("schema/", schema_page.page, name="schema"),
    path("api/schema", schema_api.SchemaView.as_view(), name="api_schema"),
    path(
        "api/schema/preview",
        schema_api.SchemaPreviewView.as_view(),
        name="api_schema_preview",
    ),
    path("api/schema/run", schema_api.SchemaRunView.as_view(), name="api_schema_run"),
    path("api/sql", sql_api.SqlRunView.as_view(), name="api_sql"),
    path("api/sql/history", sql_api.SqlHistoryView.as_view(), name="api_sql_history"),
    path(
        "api/sql/snippets", sql_api.SqlSnippetsView.as_view(), name="api_sql_snippets"
    ),
    path("mailbox/", mailbox.mail_list, name="mailbox"),
    path("mailbox/<int:mail_id>/", mailbox.mail_detail, name="mailbox_detail"),
    path("api/mailbox/", mailbox_api.MailList.as_view(), name="api_mailbox"),
    path(
        "api/mailbox/<int:mail_id>/",
        mailbox_api.MailDetail.as_view(),
        name="api_mailbox_detail",
    ),
    path("cron/", cron.job_list, name="cron"),
    path("cron/<int:job_id>/", cron.job_page, name="cron_job"),
    path("api/cron/", cron_api.JobList.as_view(), name="api_cron"),
    path("api/cron/<int:job_id>/", cron_api.JobDetail.as_view(), name="api_cron_job"),
    path(
        "api/cron/<int:job_id>/run",
        cron_api.JobRunNow.as_view(),
        name="api_cron_run",
    ),
    # The sidebar's entry: every Auth sub-page is under it.
    path("auth/", RedirectView.as_view(pattern_name="studio:auth_users"), name="auth"),
    path("auth/users/", auth_users.user_list, name="auth_users"),
    path("auth/users/<str:user_id>/", auth_users.user_page, name="auth_user"),
    path("auth/settings/", auth_users.settings_page, name="auth_settings"),
    path("auth/templates/", auth_users.templates_page, name="auth_templates"),
    path("api/auth/users/", auth_api.UserList.as_view(), name="api_auth_users"),
    path("api/auth/invite/", auth_api.Invite.as_view(), name="api_auth_invite"),
    path(
        "api/auth/users/<str:user_id>/",
        auth_api.UserDetail.as_view(),
        name="api_auth_user",
    ),
    path(
        "api/auth/users/<str:user_id>/sessions/<str:session_id>/",
        auth_api.UserSession.as_view(),
        name="api_auth_user_session",
    ),
    path(
        "api/auth/users/<str:user_id>/factors/<str:factor_id>/",
        auth_api.UserFactor.as_view(),
        name="api_auth_user_factor",
    ),
    path(
        "api/auth/users/<str:user_id>/<slug:action>/",
        auth_api.UserAction.as_view(),
        name="api_auth_user_action",
    ),
    path(
        "api/auth/settings/", auth_api.AuthSettings.as_view(), name="api_auth_settings"
    ),
    path(
        "api/auth/templates/",
        auth_api.EmailTemplates.as_view(),
        name="api_auth_templates",
    ),
    path("docs/", docs.index, name="docs"),
    path("docs/<path:table>/", docs.table, name="docs_table"),
    path("logs/", logs.page, name="logs"),
    path("api/overview", overview_api.OverviewView.as_view(), name="api_overview"),
    path(
        "api/keys/service",
        keys_api.ServiceKeyView.as_view(),
        name="api_service_key",
    ),
    path("api/docs", docs_api.DocsIndexView.as_view(), name="api_docs"),
    path(
        "api/docs/<path:table>", docs_api.TableDocView.as_view(), name="api_docs_table"
    ),
    path("api/logs", logs_api.LogsView.as_view(), name="api_logs"),
]


urlpatterns += [
    path("tables/", tables.table_list, name="tables"),
    path("tables/<str:name>/", tables.table_page, name="table"),
    path("api/tables/", tables_api.TableList.as_view(), name="api_tables"),
    path("api/app-users/", tables_api.Users.as_view(), name="api_app_users"),
    path("api/tables/<str:table>/rows", tables_api.Rows.as_view(), name="api_rows"),
    path(
        "api/tables/<str:table>/export.<str:fmt>",
        tables_api.Export.as_view(),
        name="api_export",
    ),
    path(
        "api/tables/<str:table>/import", tables_api.Import.as_view(), name="api_import"
    ),
]

_BUCKET = "api/storage/buckets/<str:bucket_id>"
urlpatterns += [
    path("storage/", storage_page.page, name="storage"),
    path("storage/<str:bucket_id>/", storage_page.bucket_page, name="storage_bucket"),
    path(
        "api/storage/buckets",
        storage_api.BucketList.as_view(),
        name="api_storage_buckets",
    ),
    path(_BUCKET, storage_api.BucketDetail.as_view(), name="api_storage_bucket"),
    path(
        f"{_BUCKET}/empty",
        storage_api.BucketEmpty.as_view(),
        name="api_storage_empty",
    ),
    path(
        f"{_BUCKET}/objects",
        storage_api.ObjectList.as_view(),
        name="api_storage_objects",
    ),
    path(
        f"{_BUCKET}/objects/<path:name>",
        storage_api.ObjectDetail.as_view(),
        name="api_storage_object",
    ),
    path(
        f"{_BUCKET}/file/<path:name>",
        storage_api.ObjectFile.as_view(),
        name="api_storage_file",
    ),
    path(f"{_BUCKET}/move", storage_api.ObjectMove.as_view(), name="api_storage_move"),
    path(f"{_BUCKET}/sign", storage_api.ObjectSign.as_view(), name="api_storage_sign"),
]

_ENDPOINT = "api/webhooks/endpoints/<int:endpoint_id>"
_DELIVERY = "api/webhooks/deliveries/<uuid:delivery_id>"
urlpatterns += [
    path("functions/", functions.function_list, name="functions"),
    # "-" cannot start a function's name, so no function hides the log.
    path("functions/-/logs/", functions.invocation_log, name="function_logs"),
    path("functions/<str:name>/", functions.function_detail, name="function"),
    path("api/functions", functions_api.FunctionList.as_view(), name="api_functions"),
    path(
        "api/functions/logs",
        functions_api.InvocationLog.as_view(),
        name="api_function_logs",
    ),
    path(
        "api/functions/<str:name>/source",
        functions_api.FunctionSource.as_view(),
        name="api_function_source",
    ),
    path(
        "api/functions/<str:name>/deploy",
        functions_api.FunctionDeploy.as_view(),
        name="api_function_deploy",
    ),
    path(
        "api/functions/<str:name>/invoke",
        functions_api.FunctionInvoke.as_view(),
        name="api_function_invoke",
    ),
    path(
        "api/functions/<str:name>/metrics",
        functions_api.FunctionMetrics.as_view(),
        name="api_function_metrics",
    ),
    path("webhooks/", webhooks_page.endpoint_list, name="webhooks"),
    path("webhooks/new/", webhooks_page.endpoint_new, name="webhook_new"),
    path("webhooks/<int:endpoint_id>/", webhooks_page.endpoint_page, name="webhook"),
    path(
        "webhooks/<int:endpoint_id>/edit/",
        webhooks_page.endpoint_edit,
        name="webhook_edit",
    ),
    path(
        "webhooks/deliveries/",
        webhooks_page.delivery_list,
        name="webhook_deliveries",
    ),
    path(
        "webhooks/deliveries/<uuid:delivery_id>/",
        webhooks_page.delivery_detail,
        name="webhook_delivery",
    ),
    path(
        "api/webhooks/endpoints",
        webhooks_api.EndpointList.as_view(),
        name="api_webhook_endpoints",
    ),
    path(_ENDPOINT, webhooks_api.EndpointDetail.as_view(), name="api_webhook_endpoint"),
    path(
        f"{_ENDPOINT}/secret",
        webhooks_api.EndpointSecret.as_view(),
        name="api_webhook_secret",
    ),
    path(
        f"{_ENDPOINT}/deliveries",
        webhooks_api.EndpointDeliveries.as_view(),
        name="api_webhook_endpoint_deliveries",
    ),
    path(
        f"{_ENDPOINT}/<slug:action>",
        webhooks_api.EndpointAction.as_view(),
        name="api_webhook_action",
    ),
    path(
        "api/webhooks/deliveries",
        webhooks_api.DeliveryList.as_view(),
        name="api_webhook_deliveries",
    ),
    path(_DELIVERY, webhooks_api.DeliveryDetail.as_view(), name="api_webhook_delivery"),
    path(
        f"{_DELIVERY}/replay",
        webhooks_api.DeliveryReplay.as_view(),
        name="api_webhook_replay",
    ),
]

urlpatterns += [
    path("emails/", emails.log_page, name="emails"),
    path("emails/templates/", emails.templates_page, name="emails_templates"),
    path("emails/templates/new/", emails.template_page, name="emails_template_new"),
    path(
        "emails/templates/<path:name>/",
        emails.template_page,
        name="emails_template",
    ),
    path("emails/<str:email_id>/", emails.email_page_detail, name="emails_detail"),
    path("api/emails/", emails_api.EmailList.as_view(), name="api_emails"),
    path(
        "api/emails/templates/",
        emails_api.TemplateList.as_view(),
        name="api_emails_templates",
    ),
    path(
        "api/emails/templates/<path:name>",
        emails_api.TemplateDetail.as_view(),
        name="api_emails_template",
    ),
    path("api/emails/preview", emails_api.Preview.as_view(), name="api_emails_preview"),
    path(
        "api/emails/<str:email_id>/",
        emails_api.EmailDetail.as_view(),
        name="api_emails_detail",
    ),
    path(
        "api/emails/<str:email_id>/resend",
        emails_api.EmailResend.as_view(),
        name="api_emails_resend",
    ),
]
