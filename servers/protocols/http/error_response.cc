#include "servers/protocols/http/error_response.h"

#include "servers/protocols/http/text_util.h"

namespace corral::http {

void MakeErrorResponse(StatusCode status, Response* response) {
  response->Reset();
  response->SetStatus(status);
  // A constant, well-formed header: AddHeader cannot fail here.
  response->AddHeader("Content-Type", "text/plain; charset=utf-8").IgnoreError();
  response->SetBody(StrCat(static_cast<int>(status), " ", ReasonPhrase(status), "\n"));
}

void MakeParseErrorResponse(const ParseError& error, Response* response) {
  MakeErrorResponse(error.status, response);
  response->RequestClose();
}

void MakeMethodNotAllowedResponse(std::string_view allow, Response* response) {
  MakeErrorResponse(StatusCode::kMethodNotAllowed, response);
  if (!response->AddHeader("Allow", allow).ok()) {
    // An Allow list that is not a valid field value is a programming error in the caller;
    // answering 500 is better than a 405 without the header RFC 9110 requires.
    MakeErrorResponse(StatusCode::kInternalServerError, response);
  }
}

}  // namespace corral::http
