from django.apps import AppConfig


class GraphqlApiConfig(AppConfig):
    name = "graphql_api"
    label = "graphql_api"
