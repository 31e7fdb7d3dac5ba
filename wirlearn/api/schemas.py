"""Schemas shared by the API endpoints of several features."""

from marshmallow import Schema, fields


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict()
