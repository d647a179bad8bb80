import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Conflict, Forbidden, NotFound, ValidationError } from "../domain/Errors.js"
import { ApiKey, User } from "../domain/Model.js"
import { Page } from "../domain/Page.js"
import { CreateKey, CreateUser } from "../domain/Requests.js"
import { keyId, PageParams, strictParams, userId } from "./Common.js"

export class IssuedKey extends Schema.Class<IssuedKey>("IssuedKey")({
  key: ApiKey,
  token: Schema.String.annotations({ description: "The secret key. Shown only in this response: store it now." })
}) {}

export class UsersApi extends HttpApiGroup.make("users")
  .add(HttpApiEndpoint.get("me", "/me").addSuccess(User))
  .add(
    HttpApiEndpoint.get("listUsers", "/users")
      .setUrlParams(strictParams(PageParams))
      .addSuccess(Page(User))
      .addError(Forbidden)
      .addError(ValidationError)
  )
  .add(HttpApiEndpoint.post("createUser", "/users").setPayload(CreateUser).addSuccess(User, { status: 201 }).addError(Forbidden).addError(Conflict))
  .add(HttpApiEndpoint.get("getUser")`/users/${userId}`.addSuccess(User).addError(Forbidden).addError(NotFound))
  .add(HttpApiEndpoint.get("listKeys")`/users/${userId}/keys`.addSuccess(Schema.Array(ApiKey)).addError(Forbidden).addError(NotFound))
  .add(
    HttpApiEndpoint.post("createKey")`/users/${userId}/keys`
      .setPayload(CreateKey)
      .addSuccess(IssuedKey, { status: 201 })
      .addError(Forbidden)
      .addError(NotFound)
      .addError(ValidationError)
  )
  .add(HttpApiEndpoint.del("revokeKey")`/keys/${keyId}`.addSuccess(ApiKey).addError(NotFound))
  .annotate(OpenApi.Title, "Users and API keys")
  .annotate(OpenApi.Description, "Who may call the API, and with which keys. Creating users and other users' keys needs an admin key.") {}

